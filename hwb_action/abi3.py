"""abi3 (Python's stable ABI) as projects declare it, read as data, never executed.

A project that builds ``cp3X-abi3`` wheels needs one wheel per platform and architecture,
built with the lowest CPython the declared minimum and requires-python allow; the wheel then
serves every later CPython.  Declarations recognised:

- setuptools: ``py_limited_api = cp3X`` for ``bdist_wheel`` (setup.cfg ``[bdist_wheel]``,
  ``[tool.distutils.bdist_wheel]`` in pyproject.toml, ``options={"bdist_wheel": ...}`` in
  setup.py) or ``Extension(..., py_limited_api=True)`` in setup.py (the minimum then comes
  from a ``Py_LIMITED_API`` macro, when one is given);
- scikit-build-core: ``[tool.scikit-build] wheel.py-api = "cp3X"``;
- meson-python: ``[tool.meson-python] limited-api = true``, with the minimum from
  ``limited_api: '3.X'`` in meson.build, unless ``-Dpython.allow_limited_api=false``;
- maturin/pyo3: the ``abi3-py3X`` (or ``abi3``) feature of pyo3 in Cargo.toml, or
  ``pyo3/abi3-py3X`` in ``[tool.maturin] features``.
"""

from __future__ import annotations

import ast
import configparser
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_CP = re.compile(r"^cp3(\d+)$")
_PYO3_FEATURE = re.compile(r"^(?:pyo3/)?abi3(?:-py3(\d+))?$")
_MESON_LIMITED = re.compile(r"""limited_api\s*:\s*['"]3\.(\d+)['"]""")


@dataclass(frozen=True, kw_only=True)
class Abi3:
    """An abi3 declaration: the minimum CPython (``"3.12"``, or None when none is
    declared: the lowest requires-python allows) and where it was found."""

    minimum: str | None
    source: str  # for people: "[tool.scikit-build] wheel.py-api = 'cp312'"
    file: str


def _minor(text: object, pattern: re.Pattern[str] = _CP) -> str | None:
    match = pattern.match(str(text).strip()) if isinstance(text, str) else None
    return f"3.{match.group(1)}" if match and match.group(1) else None


def _table(data: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    for key in keys:
        value = data.get(key)
        if not isinstance(value, dict):
            return {}
        data = value
    return data


def detect_abi3(root: Path, tool: Mapping[str, Any]) -> Abi3 | None:
    """The abi3 declaration of the project at ``root`` (``tool`` is its ``[tool]`` table)."""
    for finder in (_scikit_build, _meson_python, _maturin, _setuptools):
        found = finder(root, tool)
        if found is not None:
            return found
    return None


def _scikit_build(root: Path, tool: Mapping[str, Any]) -> Abi3 | None:
    skb = _table(tool, "scikit-build")
    value = _table(skb, "wheel").get("py-api", skb.get("wheel.py-api"))
    minimum = _minor(value)
    if minimum is None:
        return None
    return Abi3(minimum=minimum, source=f"[tool.scikit-build] wheel.py-api = {value!r}",
                file=str(root / "pyproject.toml"))


def _meson_python(root: Path, tool: Mapping[str, Any]) -> Abi3 | None:
    table = _table(tool, "meson-python")
    if table.get("limited-api") is not True:
        return None
    setup_args = _table(table, "args").get("setup", [])
    if isinstance(setup_args, list) and any(
            str(a).replace(" ", "") == "-Dpython.allow_limited_api=false" for a in setup_args):
        return None
    minimum = None
    meson = root / "meson.build"
    if meson.is_file():
        found = _MESON_LIMITED.search(meson.read_text(encoding="utf-8", errors="replace"))
        minimum = f"3.{found.group(1)}" if found else None
    return Abi3(minimum=minimum, source="[tool.meson-python] limited-api = true",
                file=str(root / "pyproject.toml"))


def _maturin(root: Path, tool: Mapping[str, Any]) -> Abi3 | None:
    maturin = _table(tool, "maturin")
    features = maturin.get("features", [])
    for feature in features if isinstance(features, list) else []:
        if isinstance(feature, str) and _PYO3_FEATURE.match(feature):
            return Abi3(minimum=_minor(feature, _PYO3_FEATURE),
                        source=f"[tool.maturin] features {feature!r}",
                        file=str(root / "pyproject.toml"))
    manifest = (root / str(maturin.get("manifest-path", "Cargo.toml"))).resolve()
    if not manifest.is_relative_to(root.resolve()):
        return None  # a project's files only: never read outside its tree
    try:
        cargo = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    for section in ("dependencies", "workspace"):
        deps = _table(cargo, section, "dependencies") if section == "workspace" else _table(
            cargo, section)
        pyo3 = deps.get("pyo3")
        pyo3_features = pyo3.get("features", []) if isinstance(pyo3, dict) else []
        for feature in pyo3_features if isinstance(pyo3_features, list) else []:
            if isinstance(feature, str) and _PYO3_FEATURE.match(feature):
                return Abi3(minimum=_minor(feature, _PYO3_FEATURE),
                            source=f"pyo3 feature {feature!r}", file=str(manifest))
    return None


def _setuptools(root: Path, tool: Mapping[str, Any]) -> Abi3 | None:
    pyproject = str(root / "pyproject.toml")
    bdist = _table(tool, "distutils", "bdist_wheel")
    for key in ("py-limited-api", "py_limited_api"):
        minimum = _minor(bdist.get(key))
        if minimum:
            return Abi3(minimum=minimum, file=pyproject,
                        source=f"[tool.distutils.bdist_wheel] {key} = {bdist[key]!r}")
    cfg = root / "setup.cfg"
    if cfg.is_file():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(cfg, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError):
            parser = configparser.ConfigParser()
        for key in ("py_limited_api", "py-limited-api"):
            if parser.has_option("bdist_wheel", key):
                value = parser.get("bdist_wheel", key)
                minimum = _minor(value)
                if minimum:
                    return Abi3(minimum=minimum, file=str(cfg),
                                source=f"[bdist_wheel] {key} = {value.strip()}")
    setup_py = root / "setup.py"
    if setup_py.is_file():
        return _setup_py(setup_py)
    return None


def _setup_py(path: Path) -> Abi3 | None:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"), filename=str(path))
    except SyntaxError:
        return None
    tagged: str | None = None  # bdist_wheel py_limited_api = "cp3X"
    limited = False  # an extension built against the limited API
    macro: str | None = None  # Py_LIMITED_API = 0x030X0000
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            tagged = tagged or _tag_in_dict(node)
        elif isinstance(node, ast.keyword) and node.arg == "py_limited_api" and isinstance(
                node.value, ast.Constant):
            limited = limited or node.value.value is True
            tagged = tagged or _minor(node.value.value)
        elif isinstance(node, ast.Tuple):
            macro = _macro_minimum(node) or macro
    if tagged:
        source = f"setup.py py_limited_api = 'cp{tagged.replace('.', '')}'"
        return Abi3(minimum=tagged, source=source, file=str(path))
    if limited:
        return Abi3(minimum=macro, source="setup.py Extension(py_limited_api=True)",
                    file=str(path))
    return None


def _tag_in_dict(node: ast.Dict) -> str | None:
    """The minimum of a ``{"py_limited_api": "cp3X"}`` (bdist_wheel's options)."""
    for key, value in zip(node.keys, node.values, strict=True):
        if (isinstance(key, ast.Constant) and key.value == "py_limited_api"
                and isinstance(value, ast.Constant)):
            minimum = _minor(value.value)
            if minimum:
                return minimum
    return None


def _macro_minimum(node: ast.Tuple) -> str | None:
    """The minimum of a ``("Py_LIMITED_API", "0x030X0000")`` define_macros entry."""
    if len(node.elts) != 2:
        return None
    name, value = node.elts
    if not (isinstance(name, ast.Constant) and name.value == "Py_LIMITED_API"
            and isinstance(value, ast.Constant) and isinstance(value.value, str | int)):
        return None
    try:
        number = int(value.value, 0) if isinstance(value.value, str) else value.value
    except ValueError:
        return None
    return f"3.{(number >> 16) & 0xFF}" if number >> 24 == 3 else None
