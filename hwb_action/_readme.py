"""Whether a long description renders on PyPI, decided as ``twine check`` decides it.

twine renders only reStructuredText (and what it does not recognise, as rst) with
readme_renderer; text/plain and text/markdown cannot fail, so they are not rendered.  Parsing
rst with docutils is most of what a check costs (tens of milliseconds per README, plus a
first-use cost per process), so:

- each distinct description is rendered once per process (a build checks the same README in
  the sdist and in every wheel);
- a verdict is kept on disk, keyed by the description and the versions of readme_renderer,
  docutils and pygments, so that checking the same README again (the next ``hwb check``, a
  publish after a build) renders nothing.  The verdict is a pure function of that key.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

Params = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Readme:
    """An rst long description to judge, with the content-type parameters twine passes."""

    text: str
    params: Params = ()


@dataclass(frozen=True)
class Verdict:
    rendered: bool
    detail: str = ""
    """docutils' complaints, one clause per message (empty when it rendered)."""


_memory: dict[Readme, Verdict] = {}
_lock = threading.Lock()


def judge(readmes: Iterable[Readme], cache_dir: Path | None = None) -> dict[Readme, Verdict]:
    """The verdict for each README: from this process, from ``cache_dir``, or rendered."""
    wanted = list(dict.fromkeys(readmes))
    out: dict[Readme, Verdict] = {}
    todo: list[Readme] = []
    with _lock:
        for readme in wanted:
            known = _memory.get(readme)
            if known is not None:
                out[readme] = known
            else:
                todo.append(readme)
    if not todo:
        return out
    prefix = _versions_key() if cache_dir is not None else ""
    for readme in todo:
        key = _key(prefix, readme) if cache_dir is not None else ""
        verdict = _load(cache_dir, key) if cache_dir is not None else None
        if verdict is None:
            verdict = render(readme)
            if cache_dir is not None:
                _store(cache_dir, key, verdict)
        out[readme] = verdict
        with _lock:
            _memory[readme] = verdict
    return out


def render(readme: Readme) -> Verdict:
    """Render with readme_renderer, as twine does; imported here because docutils takes
    ~100 ms to import and most checks have no rst to render."""
    import readme_renderer.rst

    stream = io.StringIO()
    rendered = readme_renderer.rst.render(readme.text, stream=stream, **dict(readme.params))
    return Verdict(rendered is not None, "" if rendered is not None
                   else _docutils_messages(stream.getvalue()))


def forget() -> None:
    """Drop the verdicts kept in this process (benchmarks measure a first render)."""
    with _lock:
        _memory.clear()


_DOCUTILS_REPORT = re.compile(
    r"^<string>:(?P<line>\d*): \((?P<level>[A-Z]+)/\d+\) (?P<message>.*)$"
)


def _docutils_messages(text: str) -> str:
    out = []
    for line in text.splitlines():
        m = _DOCUTILS_REPORT.match(line)
        if m:
            out.append(f"line {m['line']}: {m['level'].capitalize()}: {m['message']}")
    return "; ".join(out)


# -- the verdict cache -----------------------------------------------------------------------
_VERSIONS: list[str] = []


def _versions_key() -> str:
    """The renderer's versions, read from the installed distributions' metadata (cheap)
    rather than by importing them (what a fully cached run must not pay)."""
    if not _VERSIONS:
        from importlib.metadata import PackageNotFoundError, version

        parts = []
        for dist in ("readme-renderer", "docutils", "pygments", "nh3"):
            try:
                parts.append(f"{dist}={version(dist)}")
            except PackageNotFoundError:
                parts.append(f"{dist}=-")
        _VERSIONS.append(";".join(parts))
    return _VERSIONS[0]


def _key(prefix: str, readme: Readme) -> str:
    blob = json.dumps([1, prefix, readme.text, list(readme.params)], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()


def _load(cache_dir: Path, key: str) -> Verdict | None:
    try:
        doc = json.loads((cache_dir / key[:2] / key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("rendered"), bool) \
            or not isinstance(doc.get("detail"), str):
        return None  # not ours, or damaged: render again
    return Verdict(doc["rendered"], doc["detail"])


def _store(cache_dir: Path, key: str, verdict: Verdict) -> None:
    """Best effort: a cache that cannot be written only costs the next run a render."""
    folder = cache_dir / key[:2]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"rendered": verdict.rendered, "detail": verdict.detail}, fh)
        os.replace(tmp, folder / key)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
