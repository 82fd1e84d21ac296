"""What one build holds while it runs, and lets go of when it ends.

A :class:`BuildSession` owns the staging directory inside the output directory, temporary
trees (unpacked sdists, copies of the source tree for parallel wheel builds), the build
environments (:class:`~hwb_action.builder.isolation.EnvProvider`) and the backend processes
(:class:`~hwb_action.builder.frontend.Frontend`), and a worker thread that overlaps set-up
with the sdist build.  Leaving the ``with`` block, normally, on an error or on
``KeyboardInterrupt``, stops every backend process, removes uncached environments, temporary
trees and the staging directory, in that order.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from hwb_action.builder.frontend import Frontend
from hwb_action.builder.isolation import EnvProvider, Installer
from hwb_action.builder.output import staging_dir
from hwb_action.ci import Reporter

T = TypeVar("T")

_TREE_IGNORE = shutil.ignore_patterns(".git", ".hg", ".tox", ".nox", ".venv", "venv", "build",
                                      "dist", "__pycache__", ".mypy_cache", ".pytest_cache")


class BuildSession:
    """The resources of one build; use as a context manager."""

    def __init__(self, *, out_dir: Path, installer: Installer, cache_dir: Path | None,
                 reporter: Reporter, environ: Mapping[str, str]) -> None:
        self.out_dir = out_dir
        self.installer: Installer = installer
        self.cache_dir = cache_dir
        self.reporter = reporter
        self.environ = dict(environ)
        self.timings: dict[str, float] = {}
        self._stack = contextlib.ExitStack()
        self._frontends: list[Frontend] = []
        self._providers: list[EnvProvider] = []
        self._trees: list[Path] = []
        self._pool: ThreadPoolExecutor | None = None
        self._staging: Path | None = None

    def __enter__(self) -> BuildSession:
        with self._stack as stack:
            self._staging = stack.enter_context(staging_dir(self.out_dir))
            # Registered after the staging directory, so it runs before it is removed.
            stack.callback(self._close)
            self._stack = stack.pop_all()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stack.__exit__(exc_type, exc, tb)

    @property
    def staging(self) -> Path:
        """Where built files wait for their checks (inside the output directory)."""
        if self._staging is None:
            raise RuntimeError("BuildSession used outside its with block")
        return self._staging

    def frontend(self, *, python: str, version: str, prefix: str = "") -> Frontend:
        """A frontend with its own environment provider for the interpreter ``python``."""
        provider = EnvProvider(installer=self.installer, base_python=python,
                               base_version=version, cache_dir=self.cache_dir,
                               reporter=self.reporter, environ=self.environ)
        self._providers.append(provider)
        fe = Frontend(provider=provider, environ=self.environ, reporter=self.reporter,
                      prefix=prefix)
        self._frontends.append(fe)
        return fe

    def temp_dir(self, prefix: str) -> Path:
        """A temporary directory removed when the session ends."""
        path = Path(tempfile.mkdtemp(prefix=prefix))
        self._trees.append(path)
        return path

    def copy_tree(self, src: Path, dest: Path) -> Path:
        """A copy of a source tree without VCS data, virtualenvs and build output."""
        shutil.copytree(src, dest, symlinks=True, ignore=_TREE_IGNORE)
        return dest

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        """Run ``fn`` on the session's worker thread (set-up that overlaps other work)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hwb-setup")
        return self._pool.submit(fn)

    def stop_backends(self) -> None:
        """End every backend process (and what a backend left running in the background):
        called once building is over, before the checksums are written."""
        for fe in self._frontends:
            fe.close()

    def _close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        for fe in self._frontends:
            fe.close()
        for provider in self._providers:
            provider.close()
        self._frontends.clear()
        self._providers.clear()
        # After the backend processes stopped: they may still have been working in a tree.
        for tree in self._trees:
            shutil.rmtree(tree, ignore_errors=True)
        self._trees.clear()
