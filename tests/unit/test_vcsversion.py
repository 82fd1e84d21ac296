"""Which projects take their version from git (read as data, never executed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwb_action.source.vcsversion import vcs_version_tool


@pytest.mark.parametrize(("files", "expected"), [
    ({"pyproject.toml": '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\n'}, "hatch-vcs"),
    ({"pyproject.toml": '[build-system]\nrequires = ["setuptools_scm[toml]>=8"]\n'},
     "setuptools-scm"),
    ({"pyproject.toml": '[build-system]\nrequires = ["pdm-backend"]\n'
                        '[tool.pdm.version]\nsource = "scm"\n'},
     '[tool.pdm.version] source = "scm"'),
    ({"pyproject.toml": '[build-system]\nrequires = ["poetry-core", '
                        '"poetry-dynamic-versioning>=1"]\n'}, "poetry-dynamic-versioning"),
    ({"pyproject.toml": '[build-system]\nrequires = ["versioningit"]\n'}, "versioningit"),
    ({"setup.py": "from setuptools import setup\nsetup(use_scm_version=True)\n"},
     "setup.py (setuptools-scm)"),
    ({"pyproject.toml": '[build-system]\nrequires = ["hatchling"]\n[project]\nname = "x"\n'
                        'version = "1"\n'}, None),
    ({"pyproject.toml": "[build-system\nbroken"}, None),
])
def test_detection(files: dict[str, str], expected: str | None, tmp_path: Path) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert vcs_version_tool(tmp_path) == expected
