"""``hwb build --check-reproducible``: build again and compare, byte for byte.

The second build runs into a temporary directory with the same options and environment
(the same ``SOURCE_DATE_EPOCH``); each artifact of the first is compared with its namesake,
and the first difference is named: a member missing or extra, its bytes, its timestamp,
permissions or owner, or the archive's own framing (member order, the gzip header).
"""

from __future__ import annotations

import dataclasses
import gzip
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from hwb_action.ci import Reporter
from hwb_action.errors import BuildError
from hwb_action.options import BuildOptions

if TYPE_CHECKING:
    from hwb_action.builder.result import BuildResult
    from hwb_action.commands.context import ProjectContext


def _names_difference(names_a: list[str], names_b: list[str]) -> str | None:
    """How two archives' member lists differ (a member in one only, or the order)."""
    if set(names_a) != set(names_b):
        only = sorted(set(names_a) ^ set(names_b))[0]
        return f"member {only} is in only one of the builds"
    for x, y in zip(names_a, names_b, strict=True):
        if x != y:
            return f"members are in another order from {x} on"
    return None


def _zip_difference(a: Path, b: Path) -> str | None:
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        ia, ib = za.infolist(), zb.infolist()
        found = _names_difference([i.filename for i in ia], [i.filename for i in ib])
        if found is not None:
            return found
        for x, y in zip(ia, ib, strict=True):
            if za.read(x) != zb.read(y):
                return f"member {x.filename}: its content"
            if x.date_time != y.date_time:
                return f"member {x.filename}: its timestamp ({x.date_time} vs {y.date_time})"
            if x.external_attr != y.external_attr:
                return f"member {x.filename}: its permissions"
            if (x.compress_type, x.extra, x.comment) != (y.compress_type, y.extra, y.comment):
                return f"member {x.filename}: its compression or extra fields"
    return None


def _tar_difference(a: Path, b: Path) -> str | None:
    with tarfile.open(a) as ta, tarfile.open(b) as tb:
        ma, mb = ta.getmembers(), tb.getmembers()
        order = _names_difference([m.name for m in ma], [m.name for m in mb])
        if order is not None:
            return order
        for x, y in zip(ma, mb, strict=True):
            fx, fy = ta.extractfile(x), tb.extractfile(y)
            if (fx.read() if fx else b"") != (fy.read() if fy else b""):
                return f"member {x.name}: its content"
            found = _tar_header_difference(x, y)
            if found is not None:
                return f"member {x.name}: {found}"
    if a.suffix == ".gz":
        with gzip.open(a) as ga, gzip.open(b) as gb:
            if ga.read() == gb.read():
                return "the gzip header (its timestamp or file name)"
    return "the archive's framing (padding or headers)"


def _tar_header_difference(x: tarfile.TarInfo, y: tarfile.TarInfo) -> str | None:
    """What differs between the headers of two members of the same name, if anything."""
    if x.mtime != y.mtime:
        return f"its timestamp ({x.mtime} vs {y.mtime})"
    if x.mode != y.mode:
        return "its permissions"
    if (x.uid, x.gid, x.uname, x.gname) != (y.uid, y.gid, y.uname, y.gname):
        return "its owner"
    if (x.type, x.linkname, x.pax_headers) != (y.type, y.linkname, y.pax_headers):
        return "its type, link or headers"
    return None


def first_difference(a: Path, b: Path) -> str | None:
    """``None`` when ``a`` and ``b`` are byte-identical, else the first difference."""
    if a.read_bytes() == b.read_bytes():
        return None
    if zipfile.is_zipfile(a) and zipfile.is_zipfile(b):
        return _zip_difference(a, b) or "the zip's framing (headers or the central directory)"
    try:
        return _tar_difference(a, b)
    except (tarfile.TarError, OSError, EOFError):
        return "the bytes (not an archive hwb can open)"


def compare(first: Sequence[Path], second_dir: Path) -> list[str]:
    """Every artifact of ``first`` that the second build in ``second_dir`` did not
    reproduce, with its first difference."""
    problems = []
    for path in first:
        other = second_dir / path.name
        if not other.is_file():
            problems.append(f"{path.name}: the second build made no file of that name")
            continue
        why = first_difference(path, other)
        if why is not None:
            problems.append(f"{path.name}: {why}")
    return problems


def check(first: Sequence[Path], second_dir: Path) -> None:
    """Raise a BuildError naming what the second build did not reproduce."""
    problems = compare(first, second_dir)
    if problems:
        msg = (f"{len(problems)} of {len(first)} artifacts are not reproducible: a second "
               "build differs")
        raise BuildError(msg, details=problems,
                         hint="set SOURCE_DATE_EPOCH (hwb sets it from the last commit in a "
                              "git checkout); compiled wheels embed build paths and "
                              "compiler output that differ between builds")


def rebuild_and_check(ctx: ProjectContext, options: BuildOptions, first: BuildResult, *,
                      reporter: Reporter, environ: Mapping[str, str], cwd: Path) -> None:
    """Build ``ctx`` again with ``options`` into a temporary directory and :func:`check`
    that every artifact of ``first`` came out byte-identical."""
    from hwb_action.builder import run_build

    temp = Path(tempfile.mkdtemp(prefix="hwb-reproduce-"))
    try:
        again = dataclasses.replace(options, out_dir=str(temp / "dist"),
                                    check_reproducible=False)
        with reporter.group("Building again to check that the build is reproducible"):
            run_build(ctx, again, reporter=reporter, environ=environ, cwd=cwd)
        paths = [first.out_dir / a.filename for a in first.artifacts]
        check(paths, temp / "dist")
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    reporter.info(f"Reproducible: a second build gave the same {len(paths)} artifact(s), "
                  "byte for byte")
