"""The plan's sdist cell, end to end: ``hwb plan`` gives a binary project a cell whose
``target`` is ``sdist``, and ``hwb build --target sdist`` (what the matrix job runs) builds
that project's sdist and nothing else, with no compiler, container or cibuildwheel."""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

from tests.cli_support import run_hwb
from tests.conftest import PACKAGES


def test_the_sdist_cell_builds_exactly_the_sdist(tmp_path: Path) -> None:
    project = tmp_path / "cext_simple"
    shutil.copytree(PACKAGES / "cext_simple", project)
    plan = run_hwb("plan", "--json", cwd=project)
    assert plan.returncode == 0, plan.stderr
    cells = json.loads(plan.stdout)["include"]
    sdist_cells = [c for c in cells if c["target"] == "sdist"]
    assert len(sdist_cells) == 1
    assert sdist_cells[0]["artifact-name"] == "dist-sdist"
    assert not any("sdist" in c["identifiers"] for c in cells if c["target"] != "sdist")
    # As the matrix job runs it: in CI (where a wheel cell would look for containers).
    out = tmp_path / "dist"
    proc = run_hwb("build", "--target", sdist_cells[0]["target"], "-o", str(out),
                   cwd=project, cache=tmp_path / "cache", env={"CI": "true"})
    assert proc.returncode == 0, proc.stderr
    built = sorted(p.name for p in out.iterdir() if p.is_file())
    assert not [n for n in built if n.endswith(".whl")], built
    sdists = [out / n for n in built if n.endswith(".tar.gz")]
    assert [p.name for p in sdists] == ["cext_simple-0.1.0.tar.gz"], built
    with tarfile.open(sdists[0]) as tf:
        names = tf.getnames()
    assert any(n.endswith("/PKG-INFO") for n in names)
    assert any(n.endswith(".c") for n in names), names  # the C source ships in it
