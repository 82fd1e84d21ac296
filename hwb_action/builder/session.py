"""What one build holds while it runs, and lets go of when it ends.

A :class:`BuildSession` owns the staging directory inside the output directory, temporary
trees (unpacked sdists, copies of the source tree for parallel wheel builds), the build
environments (:class:`~hwb_action.builder.isolation.EnvProvider`) and the backend processes
(:class:`~hwb_action.builder.frontend.Frontend`), and a worker thread that overlaps set-up
with the sdist build.  Leaving the ``with`` block, normally, on an error or on
``KeyboardInterrupt``, stops every backend process, removes uncached environments, temporary
trees and the staging directory, in that order.

With ``keep_temp`` (``--keep-temp``) the unpacked trees and uncached environments stay and
their paths are printed; without it, an error that names one of them says that it is gone.
After the build the environment cache is pruned to ``cache_max_bytes``
(:func:`~hwb_action.builder.envcache.prune`).
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
from hwb_action.builder.hooks import DEFAULT_TIMEOUT
from hwb_action.builder.isolation import DEFAULT_INSTALL_TIMEOUT, EnvProvider, Installer
from hwb_action.builder.output import staging_dir
from hwb_action.ci import Reporter
from hwb_action.errors import HwbError

T = TypeVar("T")

_TREE_IGNORE = shutil.ignore_patterns(".git", ".hg", ".tox", ".nox", ".venv", "venv", "build",
                                      "dist", "__pycache__", ".mypy_cache", ".pytest_cache")


class BuildSession:
    """The resources of one build; use as a context manager."""

    def __init__(self, *, out_dir: Path, installer: Installer, cache_dir: Path | None,
                 reporter: Reporter, environ: Mapping[str, str], keep_temp: bool = False,
                 cache_max_bytes: int = 0, build_timeout: float = DEFAULT_TIMEOUT,
                 install_timeout: float = DEFAULT_INSTALL_TIMEOUT) -> None:
        self.out_dir = out_dir
        self.installer: Installer = installer
        self.cache_dir = cache_dir
        self.reporter = reporter
        self.environ = dict(environ)
        self.timings: dict[str, float] = {}
        self._stack = contextlib.ExitStack()
        self._frontends: list[Frontend] = []
        self._providers: dict[str, EnvProvider] = {}
        self.keep_temp = keep_temp
        self.cache_max_bytes = cache_max_bytes
        self.build_timeout = build_timeout
        self.install_timeout = install_timeout
        self._used_envs: list[Path] = []
        self._removed: list[Path] = []
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
        if isinstance(exc, HwbError):
            _note_removed(exc, self._removed)

    @property
    def staging(self) -> Path:
        """Where built files wait for their checks (inside the output directory)."""
        if self._staging is None:
            raise RuntimeError("BuildSession used outside its with block")
        return self._staging

    def frontend(self, *, python: str, version: str, prefix: str = "") -> Frontend:
        """A frontend with its own environment provider for the interpreter ``python``."""
        # One provider per interpreter: every frontend of it shares its environments.
        provider = self._providers.get(python)
        if provider is None:
            provider = EnvProvider(installer=self.installer, base_python=python,
                                   base_version=version, cache_dir=self.cache_dir,
                                   reporter=self.reporter, environ=self.environ,
                                   install_timeout=self.install_timeout)
            provider.keep_temp = self.keep_temp
            self._providers[python] = provider
        fe = Frontend(provider=provider, environ=self.environ, reporter=self.reporter,
                      prefix=prefix, build_timeout=self.build_timeout)
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
        envs: list[Path] = []
        temporary: list[Path] = []
        for provider in self._providers.values():
            envs += provider.environments()
            temporary += provider.temporary()
            provider.close()
        self._frontends.clear()
        self._providers.clear()
        if self.keep_temp:
            for path in [*temporary, *self._trees]:
                self.reporter.info(f"Kept (--keep-temp): {path}")
            for path in envs:
                if path not in temporary:
                    self.reporter.info(f"Build environment (cached): {path}")
        else:
            self._removed = [*temporary, *self._trees]
            # After the backend processes stopped: they may still have been working in a tree.
            for tree in self._trees:
                shutil.rmtree(tree, ignore_errors=True)
        self._trees.clear()
        self._prune_cache(keep=envs)

    def _prune_cache(self, *, keep: list[Path]) -> None:
        if self.cache_dir is not None and self.cache_max_bytes > 0:
            from hwb_action.builder.envcache import prune

            for gone in prune(self.cache_dir, self.cache_max_bytes, keep=keep):
                self.reporter.debug(f"cache: removed the least recently used build "
                                    f"environment {gone.path} ({gone.size // 1024} KiB)")


def _note_removed(err: HwbError, removed: list[Path]) -> None:
    """An error that names a directory removed when the build ended says so, rather than
    sending the user to look for it."""
    text = "\n".join([err.message, err.hint or "", *err.details])
    gone = [str(p) for p in removed if str(p) in text]
    if gone:
        err.details.append(f"({', '.join(gone)} {'was' if len(gone) == 1 else 'were'} removed "
                           "when the build ended; run again with --keep-temp to keep "
                           f"{'it' if len(gone) == 1 else 'them'})")
