"""The user's installer configuration makes the build environments, and is part of their
cache key (issue 14, item 3): a constraint pins a build requirement to an older version
from a local wheelhouse (no network), also when an environment was cached before the
constraint was set; a dead private index fails the build, named as unreachable."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import socket
import zipfile
from pathlib import Path

import pytest

from tests.cli_support import run_hwb
from tests.conftest import PACKAGES


def _wheel(house: Path, version: str) -> None:
    files = {
        "pinned_dep/__init__.py": f'VERSION = "{version}"\n'.encode(),
        f"pinned_dep-{version}.dist-info/METADATA":
            f"Metadata-Version: 2.1\nName: pinned-dep\nVersion: {version}\n".encode(),
        f"pinned_dep-{version}.dist-info/WHEEL":
            b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = ""
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += f"{name},sha256={digest},{len(data)}\n"
    record += f"pinned_dep-{version}.dist-info/RECORD,,\n"
    with zipfile.ZipFile(house / f"pinned_dep-{version}-py3-none-any.whl", "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
        zf.writestr(f"pinned_dep-{version}.dist-info/RECORD", record)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "recorder"
    shutil.copytree(PACKAGES / "recorder", dest)
    text = (dest / "pyproject.toml").read_text()
    (dest / "pyproject.toml").write_text(text.replace("requires = []",
                                                      'requires = ["pinned-dep"]'))
    return dest


@pytest.fixture
def wheelhouse(tmp_path: Path) -> Path:
    house = tmp_path / "wheelhouse"
    house.mkdir()
    for version in ("1.0", "2.0"):
        _wheel(house, version)
    return house


def _pinned(project: Path) -> str:
    (wheel,) = (project / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        return str(json.loads(zf.read("recorder_pkg/recorder-wheel.json"))["pinned_dep"])


@pytest.mark.parametrize(("isolation", "constraint_var"),
                         [("uv", "PIP_CONSTRAINT"), ("uv", "UV_CONSTRAINT"),
                          ("pip", "PIP_CONSTRAINT"), ("pip", "UV_CONSTRAINT")])
def test_a_constraint_pins_a_build_requirement_also_over_a_cached_env(
        isolation: str, constraint_var: str, project: Path, wheelhouse: Path,
        tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    offline = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse)}
    args = ("build", "--wheel", "--isolation", isolation)
    proc = run_hwb(*args, cwd=project, cache=cache, env=offline)
    assert proc.returncode == 0, proc.stderr
    assert _pinned(project) == "2.0"  # the newest, and now an environment is cached

    constraints = tmp_path / "constraints.txt"
    constraints.write_text("pinned-dep==1.0\n")
    proc = run_hwb(*args, cwd=project, cache=cache,
                   env={**offline, constraint_var: str(constraints)})
    assert proc.returncode == 0, proc.stderr
    assert _pinned(project) == "1.0"

    # The same variable, another content: the file's content is in the key, not its name.
    constraints.write_text("pinned-dep>1.0\n")
    proc = run_hwb(*args, cwd=project, cache=cache,
                   env={**offline, constraint_var: str(constraints)})
    assert proc.returncode == 0, proc.stderr
    assert _pinned(project) == "2.0"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("isolation", ["uv", "pip"])
def test_a_dead_private_index_is_not_passed_over(isolation: str, project: Path,
                                                 tmp_path: Path) -> None:
    index = f"http://127.0.0.1:{_closed_port()}/simple"
    proc = run_hwb("build", "--wheel", "--isolation", isolation, cwd=project,
                   cache=tmp_path / "cache",
                   env={"PIP_INDEX_URL": index, "PIP_DEFAULT_TIMEOUT": "5", "PIP_RETRIES": "0"})
    assert proc.returncode == 1, proc.stderr
    assert "could not reach" in proc.stderr, proc.stderr
    assert "[build-system] requires" not in proc.stderr
    assert not (project / "dist").exists()
