"""This machine in the words of wheel tags and CI runners: its platform, its architecture,
and where a virtual environment keeps its interpreter.

Standard library only: ``entrypoint.py`` imports this before anything is installed.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

# Other names of one architecture, as Linux wheel tags and manylinux images spell it:
# Windows and macOS say AMD64/arm64, some tools say x64.
ARCH_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64"}
# sys.platform -> the platform names of the plan (and of cibuildwheel).
PLATFORMS = {"linux": "linux", "darwin": "macos", "win32": "windows", "cygwin": "windows"}


def normalise_arch(name: str) -> str:
    """``name`` in lower case, with its aliases mapped (``AMD64`` -> ``x86_64``,
    ``arm64`` -> ``aarch64``), so that two spellings of one machine compare equal."""
    low = name.strip().lower()
    return ARCH_ALIASES.get(low, low)


def host_arch() -> str:
    """This machine's architecture, normalised (``x86_64``, ``aarch64``, ...)."""
    return normalise_arch(platform.machine())


def host_platform(name: str = sys.platform) -> str:
    """``linux``, ``macos`` or ``windows`` for a ``sys.platform`` value (others unchanged)."""
    for prefix, platform_name in PLATFORMS.items():
        if name.startswith(prefix):
            return platform_name
    return name


def venv_scripts(venv: Path, *, windows: bool = os.name == "nt") -> Path:
    """The directory of a virtual environment's programs (``bin``, ``Scripts`` on Windows)."""
    return venv / ("Scripts" if windows else "bin")


def venv_python(venv: Path, *, windows: bool = os.name == "nt") -> Path:
    """The interpreter of a virtual environment, on Windows and elsewhere."""
    return venv_scripts(venv, windows=windows) / ("python.exe" if windows else "python")
