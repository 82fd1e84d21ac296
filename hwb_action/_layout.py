"""Wheel layout checks, through check-wheel-contents' own checker (W001 ``.pyc`` files, W002
duplicate files, W003 non-modules at the top level, W004 modules at paths that cannot be
imported, W005 common names such as ``tests/`` at the top level, W006 a top-level
``__init__.py``, W007/W008 empty wheels, W010 top-level directories without modules).

A project that configures check-wheel-contents (``[tool.check-wheel-contents]`` in
pyproject.toml, or its other configuration files) gets its ``select``, ``ignore``,
``toplevel``, ``package`` and ``src_dir`` honoured when hwb check runs in that directory
(:func:`load_checker`); without a ``select`` there, hwb's selection below applies.

The wheel is not opened again: :func:`layout_findings` is handed the member list with the
sha256 and size that :mod:`hwb_action._distcheck` computed while streaming the archive, which
is exactly what check-wheel-contents reads from RECORD (what the archive really holds, even
when RECORD lies, since RECORD is checked separately).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hwb_action._distcheck import Findings
from hwb_action.errors import ConfigError

# W009 (more than one top-level entry) is left out: shipping a package beside its helper
# (attr/ + attrs/, pytest/ + py.py, setuptools/ + pkg_resources/) is a deliberate layout,
# and a warning every such project must silence would teach users to ignore the rest.
# W101/W102 and W201/W202 compare with a declared package tree or top-level names: they do
# nothing unless check-wheel-contents' configuration declares them (package=, toplevel=).
SELECTED = ("W001", "W002", "W003", "W004", "W005", "W006", "W007", "W008", "W010",
            "W101", "W102", "W201", "W202")

_REMEDY = {
    "W001": "build the wheel from a clean tree (compiled files are made at install time)",
    "W002": "ship one copy, or check that the backend does not include a file twice",
    "W003": "move the file into the package, or out of the wheel",
    "W004": "rename the directories into valid Python identifiers, or leave the file out",
    "W005": "exclude the directory from the wheel (tests, docs and build output are "
            "not part of a package)",
    "W006": "remove the top-level __init__.py (it would make the site-packages directory "
            "a package)",
    "W007": "the wheel installs no library code: check the backend's package discovery",
    "W008": "the wheel holds only metadata: check the backend's package discovery",
    "W010": "add the modules, or leave the data-only directory out of the library",
    "W101": "the wheel lacks files of the declared package tree: check the build's includes",
    "W102": "the wheel has files outside the declared package tree: check the excludes",
    "W201": "a declared top-level name is missing from the wheel",
    "W202": "the wheel has a top-level entry not declared in toplevel",
}
_SHOWN = 3


def layout_findings(
    *,
    dist_info: str,
    data_dir: str,
    root_is_purelib: bool,
    members: Mapping[str, tuple[str, int]],
    found: Findings,
    config_dir: Path | None = None,
) -> None:
    """Warn once per failed layout check, naming its first member as where it is.

    ``members`` maps each file in the wheel to its sha256 (RECORD's urlsafe base64, without
    padding) and size; ``config_dir`` is where to look for check-wheel-contents'
    configuration (see :func:`load_checker`).
    """
    from check_wheel_contents.checks import Check
    from check_wheel_contents.contents import WheelContents
    from check_wheel_contents.errors import WheelValidationError

    contents = WheelContents(dist_info_dir=dist_info, data_dir=data_dir,
                             root_is_purelib=root_is_purelib)
    rows = [[name, f"sha256={digest}", str(size)] for name, (digest, size) in members.items()
            if not name.endswith("/")]
    try:
        contents.add_record_rows(rows)
        contents.validate_tree()
    except (WheelValidationError, ValueError) as err:
        # Paths the structural checks already reported (absolute, '..', a second
        # .dist-info); the layout cannot be judged on top of them.
        found.warn(f"layout not checked: {err}")
        return
    checker = load_checker(config_dir)
    by_code: dict[str, list[str]] = {}
    for failed in checker.check_contents(contents):
        paths = by_code.setdefault(failed.check.name, [])
        if failed.check.name == "W002":  # one group of identical files per failure
            group = failed.args
            paths.append(f"{group[0]} = {group[1]}"
                         + (f" (+{len(group) - 2} more copies)" if len(group) > 2 else ""))
        else:
            paths.extend(failed.args)
    for code in sorted(by_code):
        paths = by_code[code]
        text = f"{code} {Check[code].value}"
        if paths:
            shown = ", ".join(paths[:_SHOWN])
            more = f" and {len(paths) - _SHOWN} more" if len(paths) > _SHOWN else ""
            text += f": {shown}{more}"
        member = paths[0].split(" = ", 1)[0].rstrip("/") if paths else None
        found.warn(f"{text}; {_REMEDY.get(code, 'see check-wheel-contents')}", member=member,
                   code=code)


@functools.lru_cache(maxsize=4)
def load_checker(config_dir: Path | None) -> Any:
    """check-wheel-contents' ``WheelChecker`` with hwb's selection, configured by the first
    of its configuration files in ``config_dir`` that has its section (it reads the same
    files, in the same order); once per directory.

    Raises :class:`ConfigError` for a configuration it rejects.
    """
    from check_wheel_contents.checker import WheelChecker
    from check_wheel_contents.checks import Check

    checker = WheelChecker(selected={Check[code] for code in SELECTED})
    if config_dir is None:
        return checker
    from check_wheel_contents.config import CONFIG_FILES, Configuration
    from check_wheel_contents.errors import UserInputError

    for name in CONFIG_FILES:
        path = config_dir / name
        if not path.is_file():
            continue
        try:
            config = Configuration.from_file(path)
            if config is None:
                continue
            if config.select is None:
                config.select = set(checker.selected)
            checker.apply_config(config)
        except (UserInputError, ValueError, OSError) as err:
            msg = f"check-wheel-contents configuration: {err}"
            raise ConfigError(msg, file=str(path), hint="fix the [tool.check-wheel-contents] "
                              "section (see check-wheel-contents' README), or remove it") from err
        break
    return checker
