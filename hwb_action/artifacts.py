"""Distributions as data: check them, hash them, list them.

Every built or downloaded distribution goes through :func:`check_artifact` before it is
reported or uploaded.  The checks are those an installer or an index applies, collected in
one pass so that a user sees every problem at once:

wheel
    a readable zip (every member read, CRC checked), a PEP 427 filename with valid tags, no
    absolute or ``..`` member paths, one ``{name}-{version}.dist-info`` directory that
    matches the filename, a ``WHEEL`` file, ``METADATA`` that parses and validates
    (:mod:`packaging.metadata`) with the filename's name and version, and a ``RECORD`` whose
    every row matches its member by hash and size and that lists every member.
    With ``layout``, check-wheel-contents' layout checks add warnings (``.pyc`` files,
    duplicates, ``tests/`` at the top level, empty wheels, ...).
sdist
    a readable gzip'd tar (or legacy zip), a PEP 625 filename, exactly one top-level
    ``{name}-{version}/`` directory, safe members, a ``PKG-INFO`` that parses and matches
    the filename, and warnings for stray files (logs, editor and OS files, caches).
both
    the long description renders as ``twine check`` decides it.

This module is on the path of every build, so it stays cheap: no twine import, docutils
(through readme_renderer) only for reStructuredText descriptions, check-wheel-contents only
when ``layout`` is asked for.
"""

from __future__ import annotations

import glob
import hashlib
import io
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from hwb_action._distcheck import Finding, Findings, Parsed, Source, readme_problem

# Re-exported (marked "as"): hwb imports the dist files' writers from here.
from hwb_action._distfiles import CHECKSUMS_NAME as CHECKSUMS_NAME  # noqa: PLC0414
from hwb_action._distfiles import MANIFEST_NAME as MANIFEST_NAME  # noqa: PLC0414
from hwb_action._distfiles import write_checksums as write_checksums  # noqa: PLC0414
from hwb_action._distfiles import write_manifest as write_manifest  # noqa: PLC0414
from hwb_action._sdistcheck import check_sdist
from hwb_action._text import human_size
from hwb_action._wheelcheck import check_wheel
from hwb_action.errors import CheckError, UsageError

Kind = Literal["sdist", "wheel"]


@dataclass(frozen=True, kw_only=True)
class Artifact:
    """One checked distribution file."""

    path: Path
    kind: Kind
    filename: str
    sha256: str
    size: int
    tags: tuple[str, ...]
    """Wheel: the sorted expansion of the filename's compressed tag set; sdist: ``()``."""
    name: str
    """The project name as written in METADATA / PKG-INFO."""
    version: str
    requires_python: str | None
    metadata: bytes
    """The raw METADATA / PKG-INFO bytes (served as the PEP 658 ``.metadata`` file)."""
    warnings: tuple[str, ...] = ()
    """Problems that do not fail the check (e.g. a missing long description)."""

    def to_json(self) -> dict[str, object]:
        """The artifact as it appears in every ``--json`` document."""
        return {
            "path": str(self.path),
            "kind": self.kind,
            "filename": self.filename,
            "sha256": self.sha256,
            "size": self.size,
            "tags": list(self.tags),
        }


@dataclass(frozen=True, kw_only=True)
class Inspection:
    """Everything :func:`inspect_artifact` found: the artifact when it passed, and why not."""

    path: Path
    artifact: Artifact | None
    problems: tuple[str, ...]
    warnings: tuple[str, ...]
    findings: tuple[Finding, ...] = ()
    """The problems and warnings again, each with the member it is about (if any)."""
    kind: Kind | None = None
    files: Mapping[str, int] = field(default_factory=dict)
    """The archive's files (member name -> size), for a contents listing."""
    name: str | None = None
    version: str | None = None
    requires_python: str | None = None
    license: str | None = None
    summary: str | None = None


@dataclass(frozen=True, kw_only=True)
class CheckReport:
    """The result of checking several files: the good artifacts and every problem."""

    artifacts: tuple[Artifact, ...]
    problems: dict[str, list[str]]
    """filename -> problems (each line names the file); empty when every file passed."""
    warnings: dict[str, list[str]] = field(default_factory=dict)
    """filename -> warnings, for files with warnings only."""
    inspections: tuple[Inspection, ...] = ()
    """Every file's inspection, in the order the files were given."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def passed(self, *, strict: bool = False) -> bool:
        """No problems, and with ``strict`` no warnings either (``twine check --strict``)."""
        return self.ok and not (strict and self.warnings)


# -- public API ----------------------------------------------------------------------------
def dist_kind(path: Path | str) -> Kind | None:
    """``"wheel"`` for ``*.whl``, ``"sdist"`` for ``*.tar.gz`` / ``*.zip``, else ``None``."""
    name = Path(path).name.lower()
    if name.endswith(".whl"):
        return "wheel"
    if name.endswith((".tar.gz", ".zip")):
        return "sdist"
    return None


def inspect_artifact(path: Path, *, layout: bool = False, layout_config: Path | None = None,
                     readme_cache: Path | None = None) -> Inspection:
    """Run every check on one distribution file and return all findings; never raises
    for a bad distribution (only :class:`UsageError` for a missing or unknown file).

    ``layout`` adds check-wheel-contents' layout checks to a wheel (warnings), configured
    by its configuration files in the directory ``layout_config`` (a project's
    ``[tool.check-wheel-contents]``), if given; ``readme_cache`` is a directory that keeps
    long-description verdicts between runs.
    """
    path = Path(path)
    if dist_kind(path) is None:
        msg = f"{path}: not a distribution (expected .whl, .tar.gz or .zip)"
        raise UsageError(msg, hint="pass wheel and sdist files, or a directory such as dist/")
    return _finish([_read(path, layout=layout, layout_config=layout_config)], readme_cache)[0]


def check_artifact(path: Path) -> Artifact:
    """Check one distribution file; return it as an :class:`Artifact`.

    Raises :class:`CheckError` naming the file, with every problem in ``details``;
    warnings (which do not fail) are on :attr:`Artifact.warnings`.
    """
    result = inspect_artifact(path)
    if result.artifact is None:
        count = len(result.problems)
        msg = f"{Path(path).name} failed {count} check{'s' if count != 1 else ''}"
        raise CheckError(msg, details=result.problems, hint=_hint(result.problems))
    return result.artifact


def check_files(
    paths: Sequence[str | Path],
    *,
    layout: bool = False,
    layout_config: Path | None = None,
    readme_cache: Path | None = None,
    jobs: int = 0,
) -> CheckReport:
    """Check several files.  Bad distributions are reported, not raised; a missing path or
    a file that is not a distribution is a :class:`UsageError`.

    The files are read in parallel (``jobs`` threads, default: one per CPU, at most 8):
    decompression and hashing release the GIL.  Long descriptions are rendered afterwards,
    each distinct one once.  ``layout``, ``layout_config`` and ``readme_cache``: see
    :func:`inspect_artifact`.
    """
    resolved = [Path(p) for p in paths]
    _check_paths(resolved)  # usage errors first, before any work
    drafts = _read_all(resolved, layout=layout, layout_config=layout_config,
                       readme_cache=readme_cache, jobs=jobs)
    results = _finish(drafts, readme_cache)
    artifacts: list[Artifact] = []
    problems: dict[str, list[str]] = {}
    warnings: dict[str, list[str]] = {}
    for result in results:
        if result.artifact is not None:
            artifacts.append(result.artifact)
        if result.problems:
            problems[result.path.name] = list(result.problems)
        if result.warnings:
            warnings[result.path.name] = list(result.warnings)
    return CheckReport(artifacts=tuple(artifacts), problems=problems, warnings=warnings,
                       inspections=tuple(results))


def _check_paths(paths: Sequence[Path]) -> None:
    for p in paths:
        if dist_kind(p) is None:
            msg = f"{p}: not a distribution (expected .whl, .tar.gz or .zip)"
            raise UsageError(msg, hint="pass wheel and sdist files, or a directory such as dist/")
        if not p.is_file():
            msg = f"{p}: {'not a file' if p.exists() else 'no such file'}"
            raise UsageError(msg, hint="build first (hwb build) or check the path")


def _read_all(paths: list[Path], *, layout: bool, layout_config: Path | None,
              readme_cache: Path | None, jobs: int) -> list[_Draft]:
    """Read every file, in parallel where there are several."""
    workers = min(jobs or min(os.cpu_count() or 1, 8), len(paths))
    if workers <= 1:
        return [_read(p, layout=layout, layout_config=layout_config) for p in paths]
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from hwb_action import _readme

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hwb-check") as pool:
        if layout and any(dist_kind(p) == "wheel" for p in paths):
            # check-wheel-contents imports pydantic (~0.1 s): overlap it with the reading
            pool.submit(_import_layout)
        futures = [pool.submit(_read, p, layout=layout, layout_config=layout_config)
                   for p in paths]
        # Render each README here as soon as its file is read, while the workers go on
        # inflating and hashing (which release the GIL); _finish then finds the verdicts.
        for future in as_completed(futures):
            readme = future.result().parsed.readme
            if readme is not None:
                _readme.judge([readme], readme_cache)
        return [f.result() for f in futures]


@dataclass
class _Draft:
    """One file read and checked, its long description not yet judged."""

    path: Path
    kind: Kind
    sha256: str
    size: int
    found: Findings
    parsed: Parsed


# Files up to this size are read into memory once (hashed, then checked from memory);
# larger ones are hashed in a stream and then read again by the checks.
_IN_MEMORY = 32 * 1024**2


def _read(path: Path, *, layout: bool, layout_config: Path | None = None) -> _Draft:
    kind = dist_kind(path)
    assert kind is not None  # checked by the callers
    try:
        with path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size <= _IN_MEMORY:
                data = fh.read()
                sha256 = hashlib.sha256(data).hexdigest()
                source: Source = io.BytesIO(data)
            else:
                sha256 = hashlib.file_digest(fh, "sha256").hexdigest()
                source = path
    except FileNotFoundError:
        msg = f"{path}: no such file"
        raise UsageError(msg, hint="build first (hwb build) or check the path") from None
    except IsADirectoryError:
        msg = f"{path}: is a directory, not a distribution file"
        raise UsageError(msg, hint="pass the files in it, e.g. dist/*") from None
    found = Findings(path.name)
    parsed = Parsed()
    if kind == "wheel":
        check_wheel(source, path.name, found, parsed, layout=layout,
                    layout_config=layout_config)
    else:
        check_sdist(source, path.name, found, parsed)
    return _Draft(path=path, kind=kind, sha256=sha256, size=size, found=found, parsed=parsed)


def _import_layout() -> None:
    import check_wheel_contents.checker  # noqa: F401


def _finish(drafts: Sequence[_Draft], readme_cache: Path | None) -> list[Inspection]:
    """Judge the long descriptions (each distinct one once), then make the results."""
    from hwb_action import _readme

    pending = [d.parsed.readme for d in drafts if d.parsed.readme is not None]
    verdicts = _readme.judge(pending, readme_cache) if pending else {}
    out = []
    for d in drafts:
        found, parsed = d.found, d.parsed
        if parsed.readme is not None and not verdicts[parsed.readme].rendered:
            readme_problem(found, verdicts[parsed.readme].detail, parsed.metadata_member)
        artifact = None
        if not found.problems and parsed.metadata is not None and parsed.name \
                and parsed.version:
            artifact = Artifact(
                path=d.path, kind=d.kind, filename=d.path.name, sha256=d.sha256, size=d.size,
                tags=parsed.tags, name=parsed.name, version=parsed.version,
                requires_python=parsed.requires_python, metadata=parsed.metadata,
                warnings=tuple(found.warnings),
            )
        elif not found.problems:  # every branch that leaves metadata unset reports why
            found.problem("could not read the metadata")
        out.append(Inspection(
            path=d.path, artifact=artifact, problems=tuple(found.problems),
            warnings=tuple(found.warnings), findings=tuple(found.items), kind=d.kind,
            files=parsed.files, name=parsed.name, version=parsed.version,
            requires_python=parsed.requires_python, license=parsed.license,
            summary=parsed.summary,
        ))
    return out


def find_dists(directory: Path) -> list[Path]:
    """The distributions in ``directory`` (not recursive): sdists first, then wheels,
    each group sorted by file name."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [p for p in directory.iterdir() if p.is_file() and dist_kind(p) is not None]
    return sorted(found, key=lambda p: (dist_kind(p) != "sdist", p.name))


def artifacts_table(artifacts: Iterable[Artifact]) -> str:
    """A Markdown table of artifacts for a CI job summary."""
    from hwb_action.ci.summary import md_cell

    rows = ["| file | kind | tags | size | sha256 |", "| --- | --- | --- | ---: | --- |"]
    for a in artifacts:
        tags = "<br>".join(f"`{t}`" for t in a.tags) or "-"
        rows.append(f"| `{md_cell(a.filename)}` | {a.kind} | {tags} | {human_size(a.size)} "
                    f"| `{a.sha256}` |")
    return "\n".join(rows) + "\n"


def _hint(problems: Sequence[str]) -> str:
    text = " ".join(problems)
    if "long description" in text:
        return ("fix the README markup (`python -m readme_renderer README.rst` shows the "
                "errors), or declare its content type, e.g. readme = \"README.md\"")
    if "not a valid" in text:
        return "the file is damaged: rebuild it or download it again"
    return "rebuild the distribution with a current build backend; do not edit it by hand"


# -- command-line arguments ----------------------------------------------------------------
def expand_dist_args(raw: Sequence[str], cwd: Path) -> list[Path]:
    """Paths from the command line or HWB_DISTS; directories and globs are expanded here
    because an action input is not expanded by a shell."""
    out: list[Path] = []
    for item in raw:
        p = Path(item) if os.path.isabs(item) else cwd / item
        if p.is_dir():
            out.extend(find_dists(p))
        elif p.name == CHECKSUMS_NAME and p.is_file():
            continue  # `hwb check dist/*`: the checksums hwb wrote next to the dists
        elif p.name.endswith(".publish.attestation") and p.is_file():
            continue  # a PEP 740 attestation beside its dist goes with it, it is none itself
        elif not p.exists() and glob.has_magic(item):
            matches = sorted(Path(m) for m in glob.glob(str(p)))
            if not matches:
                msg = f"{item}: matches no files"
                raise UsageError(msg, hint="build first (hwb build) or check the pattern")
            out.extend(m for m in matches if dist_kind(m) is not None)
        else:
            out.append(p)
    return list(dict.fromkeys(out))  # the same file named twice is checked once
