"""The project a command works on: the source made local, the project tree, its
pyproject.toml parsed once, the resolved settings and the project read as data."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hwb_action._command import Invocation
from hwb_action.project import Project, load_project
from hwb_action.settings import Settings, read_pyproject, resolve
from hwb_action.source import ResolvedSource, open_source, safe_extract


@dataclass(frozen=True, kw_only=True)
class ProjectContext:
    """Everything a command knows about its project, read once.

    ``root`` is the project tree (an sdist given as SOURCE is unpacked into a temporary
    directory that lives as long as the context); ``given_sdist`` is that sdist.  ``local``
    is true when SOURCE is a directory, i.e. the user's own checkout rather than a
    downloaded, cloned or unpacked project whose configuration is not trusted to steer
    where output goes.
    """

    source: ResolvedSource
    root: Path
    given_sdist: Path | None
    project: Project
    settings: Settings

    @property
    def local(self) -> bool:
        return self.source.kind == "directory"


@contextlib.contextmanager
def open_project(
    inv: Invocation, *, check_tree: Callable[[Path, Path | None], None] | None = None,
) -> Iterator[ProjectContext]:
    """Open SOURCE (``inv.cli["source"]``, ``HWB_SOURCE`` or ``.``) for ``inv.command``;
    temporary trees are removed when the block ends.  ``check_tree(root, given_sdist)``
    runs before the project is read (``hwb build`` refuses trees no frontend builds with
    its own wording)."""
    spec = str(inv.cli.get("source") or inv.environ.get("HWB_SOURCE") or ".")
    with contextlib.ExitStack() as stack:
        src = stack.enter_context(open_source(spec, reporter=inv.reporter,
                                              environ=inv.environ, cwd=inv.cwd))
        given_sdist: Path | None = None
        root = src.path
        if src.kind == "sdist":
            given_sdist = src.path
            unpack = Path(stack.enter_context(
                tempfile.TemporaryDirectory(prefix=f"hwb-{inv.command}-")))
            root = safe_extract(src.path, unpack)
        if check_tree is not None:
            check_tree(root, given_sdist)
        pyproject = read_pyproject(root)
        project = load_project(root, pyproject=pyproject)
        settings = resolve(inv.command, cli=inv.cli, environ=inv.environ, pyproject=pyproject)
        yield ProjectContext(source=src, root=root, given_sdist=given_sdist, project=project,
                             settings=settings)
