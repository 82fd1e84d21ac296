"""Installers behind one protocol, and the environment a build backend is given."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from hwb_action.builder.isolation import (
    BuildEnv,
    PipInstaller,
    UvInstaller,
    env_python,
    installer_for,
)
from hwb_action.errors import UsageError


def test_installer_for_each_isolation_name() -> None:
    assert installer_for("none", {}) is None
    assert isinstance(installer_for("pip", {}), PipInstaller)
    uv = installer_for("uv", {"HWB_UV": "/opt/uv"})
    assert uv == UvInstaller("/opt/uv")
    assert uv is not None
    assert uv.name == "uv"


def test_missing_uv_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uv", None)  # the uv package is not importable
    with pytest.raises(UsageError) as info:
        installer_for("uv", {"PATH": str(tmp_path)})
    assert info.value.hint is not None
    assert "--isolation pip" in info.value.hint


def test_backend_environment_has_no_secret_and_writes_nothing(tmp_path: Path) -> None:
    base = {"PATH": "/usr/bin", "HWB_TOKEN": "pypi-x", "TWINE_PASSWORD": "pw",
            "GITHUB_TOKEN": "ghs", "PYTHONHOME": "/elsewhere", "MY_BUILD_FLAG": "1"}
    cached = BuildEnv(python=str(env_python(tmp_path)), path=tmp_path,
                      bin_dir=env_python(tmp_path).parent, cached=True)
    env = cached.environ(base)
    assert env == {"PATH": f"{env_python(tmp_path).parent}{os.pathsep}/usr/bin",
                   "MY_BUILD_FLAG": "1",
                   "VIRTUAL_ENV": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}
    # No isolation: the base interpreter, still without secrets; bytecode as usual.
    bare = BuildEnv(python=sys.executable, path=None, bin_dir=None, cached=False)
    assert bare.environ(base) == {"PATH": "/usr/bin", "MY_BUILD_FLAG": "1"}
