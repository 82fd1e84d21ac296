"""Helpers for the artifact-check tests: real builds, and distributions rewritten with defects.

Good distributions come from a real build backend (hatchling through ``python -m build``);
each defect is made by rewriting a good one with :mod:`zipfile` / :mod:`tarfile`, so that a
test changes exactly one thing.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ROOT / "tests" / "packages"


def build_dists(project: str, out: Path) -> tuple[Path, Path]:
    """Build the sdist and the wheel of ``tests/packages/<project>`` with its real backend.

    ``--no-isolation``: hatchling is installed in the test environment, and the test must
    not reach an index.
    """
    # A copy: setuptools writes *.egg-info and build/ next to the sources.
    source = out / "src" / project
    shutil.copytree(PACKAGES / project, source)
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        check=True, capture_output=True,
    )
    sdist = next(out.glob("*.tar.gz"))
    wheel = next(out.glob("*.whl"))
    return sdist, wheel


def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(
        b"=").decode()


def wheel_members(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def dist_info_of(members: Mapping[str, bytes]) -> str:
    return next(n.split("/", 1)[0] for n in members if n.split("/", 1)[0].endswith(".dist-info"))


def make_record(members: Mapping[str, bytes], dist_info: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for name, data in members.items():
        if name == f"{dist_info}/RECORD":
            continue
        writer.writerow([name, record_hash(data), str(len(data))])
    writer.writerow([f"{dist_info}/RECORD", "", ""])
    return out.getvalue().encode()


def write_wheel(
    dest: Path,
    members: Mapping[str, bytes],
    *,
    fix_record: bool = True,
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    """Write ``members`` as a wheel; with ``fix_record`` RECORD is regenerated to match."""
    members = dict(members)
    if fix_record:
        dist_info = dist_info_of(members)
        members.pop(f"{dist_info}/RECORD", None)
        members[f"{dist_info}/RECORD"] = make_record(members, dist_info)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return dest


def rewrite_wheel(
    wheel: Path,
    dest: Path,
    change: Callable[[dict[str, bytes]], object],
    *,
    fix_record: bool = True,
) -> Path:
    """Copy ``wheel`` to ``dest`` after ``change`` edited its members in place."""
    members = wheel_members(wheel)
    change(members)
    return write_wheel(dest, members, fix_record=fix_record)


def sdist_members(sdist: Path) -> list[tuple[tarfile.TarInfo, bytes | None]]:
    with tarfile.open(sdist, "r:gz") as tar:
        out = []
        for info in tar.getmembers():
            f = tar.extractfile(info) if info.isfile() else None
            out.append((info, f.read() if f is not None else None))
        return out


def write_sdist(dest: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(dest, "w:gz") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return dest


def tar_file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    return info, data


def replace_header(metadata: bytes, header: str, value: str | None) -> bytes:
    """METADATA/PKG-INFO with ``header`` set to ``value`` (or removed when ``None``)."""
    head, sep, body = metadata.partition(b"\n\n")
    lines = [ln for ln in head.split(b"\n") if not ln.lower().startswith(
        header.lower().encode() + b":")]
    if value is not None:
        lines.insert(1, f"{header}: {value}".encode())
    return b"\n".join(lines) + sep + body
