"""``hwb version --all``: every package of a monorepo with its next version.

The packages are the members of a uv workspace (``[tool.uv.workspace] members``/``exclude``
in the root pyproject.toml, and the root itself when it is a project), or else every tracked
pyproject.toml below ``--path`` whose ``[tool.hwb]`` sets its own ``tag-format``.  Each
package is planned with its own settings; by default it counts the commits touching its
directory and not a nested package's, and a uv member without a ``tag-format`` of its own is
tagged ``NAME-v{version}`` so that the packages' tags never collide.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwb_action.ci import Reporter
from hwb_action.errors import ConfigError, UsageError
from hwb_action.git import Git
from hwb_action.options import VersionOptions, from_settings
from hwb_action.settings import Settings, read_pyproject, resolve
from hwb_action.versioning.history import SharedGit, SharedHistory
from hwb_action.versioning.model import ReleasePlan, VersionConfig
from hwb_action.versioning.planning import plan_release, releases


@dataclass(frozen=True, kw_only=True)
class PackagePlan:
    """One package of the workspace and its plan."""

    name: str
    path: str  # relative to the workspace root, "." for the root
    plan: ReleasePlan

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.path, "version": self.plan.version,
                "previous_version": self.plan.previous_version, "tag": self.plan.tag,
                "bump": self.plan.bump, "commits": len(self.plan.commits),
                "release_notes": self.plan.release_notes}


def _table(data: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    node: Any = data
    for key in keys:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


def _name(data: Mapping[str, Any], directory: Path) -> str:
    name = _table(data, "project").get("name")
    raw = name if isinstance(name, str) and name else directory.name
    return re.sub(r"[-_.]+", "-", raw).lower()


def _uv_members(root: Path, workspace: Mapping[str, Any]) -> list[Path]:
    members, exclude = workspace.get("members", []), workspace.get("exclude", [])
    if not (isinstance(members, list) and isinstance(exclude, list)):
        msg = "[tool.uv.workspace] members and exclude must be lists of globs"
        raise ConfigError(msg, file=str(root / "pyproject.toml"),
                          hint="see uv's workspace documentation")
    found: list[Path] = []
    for pattern in members:
        for candidate in sorted(root.glob(str(pattern))):
            rel = candidate.relative_to(root).as_posix()
            if (candidate / "pyproject.toml").is_file() and not any(
                    fnmatch.fnmatchcase(rel, str(e)) for e in exclude):
                found.append(candidate)
    return found


def _toplevel(directory: Path) -> Path | None:
    """The git work tree's top level, found without a process (``.git`` dir or file)."""
    return next((p for p in (directory, *directory.parents) if (p / ".git").exists()), None)


def package_defaults(directory: Path, settings: Settings, data: Mapping[str, Any],
                     ) -> tuple[str | None, tuple[str, ...] | None]:
    """The tag-format and paths a package gets when it sets none, as in ``--all``: a uv
    workspace member is tagged ``NAME-v{version}`` and counts the commits under its own
    directory (not a nested member's); a package below the top level with its own
    tag-format counts those under its directory.  ``None``: keep the setting."""
    tag_default = settings.origin("tag-format").kind == "default"
    paths_default = settings.origin("paths").kind == "default"
    top = _toplevel(directory)
    if not (tag_default or paths_default) or top is None:
        return None, None
    here = directory.resolve()
    for parent in (directory, *directory.parents):
        workspace = _table(data if parent == directory else
                           (read_pyproject(parent)[0] if (parent / "pyproject.toml").is_file()
                            else {}), "tool", "uv", "workspace")
        if workspace:
            packages = [p.resolve() for p in _uv_members(parent, workspace)]
            if here not in packages and here != parent.resolve():
                break
            nested = [p.relative_to(here).as_posix() for p in packages if here in p.parents]
            tag = (f"{_name(data, directory)}-v{{version}}"
                   if tag_default and here != parent.resolve() else None)
            paths = ((".", *[f":(exclude){n}" for n in nested])
                     if paths_default and (packages or nested) else None)
            return tag, paths
        if parent == top:
            break
    if paths_default and not tag_default and directory.resolve() != top.resolve():
        return None, (".",)
    return None, None


def discover(root: Path, data: Mapping[str, Any], git: Git,
             reporter: Reporter | None = None) -> list[Path]:
    """The package directories of the workspace at ``root`` (``data``: its pyproject.toml)."""
    workspace = _table(data, "tool", "uv", "workspace")
    found: list[Path] = []
    if workspace:
        found = _uv_members(root, workspace)
    else:
        for rel in git.ls_files("*pyproject.toml"):
            path = root / rel
            if path.name != "pyproject.toml" or path.parent == root:
                continue
            try:
                sub, _, _ = read_pyproject(path.parent)
            except ConfigError as err:
                if reporter is not None:
                    reporter.warning(f"skipped {rel}: {err.message}")
                continue
            if "tag-format" in _table(sub, "tool", "hwb"):
                found.append(path.parent)
    if "project" in data:
        found.insert(0, root)
    unique: list[Path] = []
    for path in found:
        if path.resolve() not in {p.resolve() for p in unique}:
            unique.append(path)
    return unique


def plan_all(root: Path, *, command: str, cli: Mapping[str, Any], environ: Mapping[str, str],
             reporter: Reporter) -> list[PackagePlan]:
    """The plan of every package of the workspace at ``root``."""
    git = Git(root, environ=environ, reporter=reporter)
    toplevel = git.info().toplevel
    data, _, _ = read_pyproject(root)
    packages = discover(root, data, git, reporter)
    if not packages:
        msg = f"{root} is not a workspace: no uv workspace members and no package with its " \
              "own tag-format"
        raise UsageError(msg, hint="add [tool.uv.workspace] members, or set tag-format in "
                                   "each package's [tool.hwb]")
    given = {k: v for k, v in cli.items() if k not in ("all", "path")}
    # (directory, name, config, pyproject, nested packages; None: paths set by the user)
    planned: list[tuple[Path, str, VersionConfig, tuple[Any, ...], tuple[str, ...] | None]] = []
    for directory in packages:
        pyproject = read_pyproject(directory)
        settings = resolve(command, cli=given, environ=environ, project_dir=directory,
                           pyproject=pyproject)
        config = VersionConfig.from_options(from_settings(VersionOptions, settings))
        name = _name(pyproject[0], directory)
        if settings.origin("tag-format").kind == "default" and directory != root:
            config = dataclasses.replace(config, tag_format=f"{name}-v{{version}}")
        inner = tuple(p.relative_to(directory).as_posix() for p in packages
                      if p != directory and directory in p.parents)
        defaulted = not config.paths
        if defaulted:
            config = dataclasses.replace(
                config, paths=(".", *[f":(exclude){n}" for n in inner]))
        planned.append((directory, name, config, pyproject, inner if defaulted else None))
    shared = SharedHistory(since=_common_base(git, [c for _, _, c, _, _ in planned]))
    plans: list[PackagePlan] = []
    for directory, name, config, pyproject, nested in planned:
        prefix = directory.resolve().relative_to(toplevel.resolve()).as_posix()
        prefix = "" if prefix == "." else prefix
        package_git = SharedGit(
            directory, environ=environ, reporter=reporter, shared=shared, prefix=prefix,
            paths=config.paths if nested is not None else None,
            excluded=[f"{prefix}/{n}" if prefix else n for n in nested or ()])
        plan = plan_release(directory, config, environ=environ, reporter=reporter,
                            pyproject=pyproject, git=package_git)
        rel = directory.relative_to(root).as_posix()
        plans.append(PackagePlan(name=name, path=rel, plan=plan))
    return plans


def _common_base(git: Git, configs: list[VersionConfig]) -> str | None:
    """Where the shared history starts: the common ancestor of every package's last final
    release tag (None, the whole history, when a package has none)."""
    merged = git.tags(merged=True)
    bases: set[str] = set()
    for config in configs:
        finals = [r for r in releases(merged, config.tag_format) if r.version.pre is None]
        base = max(finals, key=lambda r: r.version, default=None)
        if base is None or base.tag is None:
            return None
        bases.add(f"refs/tags/{base.tag}")
    if len(bases) == 1:
        return bases.pop()
    done = git.run("merge-base", "--octopus", *sorted(bases), check=False)
    return done.stdout.strip() or None if done.returncode == 0 else None
