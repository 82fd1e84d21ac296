"""Wheel layout checks, through check-wheel-contents' own checker (W001 ``.pyc`` files, W002
duplicate files, W003 non-modules at the top level, W004 modules at paths that cannot be
imported, W005 common names such as ``tests/`` at the top level, W006 a top-level
``__init__.py``, W007/W008 empty wheels, W010 top-level directories without modules).

The wheel is not opened again: :func:`layout_findings` is handed the member list with the
sha256 and size that :mod:`hwb_action._distcheck` computed while streaming the archive, which
is exactly what check-wheel-contents reads from RECORD (what the archive really holds, even
when RECORD lies, since RECORD is checked separately).
"""

from __future__ import annotations

from collections.abc import Mapping

from hwb_action._distcheck import Findings

# W009 (more than one top-level entry) is left out: shipping a package beside its helper
# (attr/ + attrs/, pytest/ + py.py, setuptools/ + pkg_resources/) is a deliberate layout,
# and a warning every such project must silence would teach users to ignore the rest.
# W1xx/W2xx need a declared package tree and stay off, as in check-wheel-contents.
SELECTED = ("W001", "W002", "W003", "W004", "W005", "W006", "W007", "W008", "W010")

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
}
_SHOWN = 3


def layout_findings(
    *,
    dist_info: str,
    data_dir: str,
    root_is_purelib: bool,
    members: Mapping[str, tuple[str, int]],
    found: Findings,
) -> None:
    """Warn once per failed layout check, naming its first member as where it is.

    ``members`` maps each file in the wheel to its sha256 (RECORD's urlsafe base64, without
    padding) and size.
    """
    from check_wheel_contents.checker import WheelChecker
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
    checker = WheelChecker(selected={Check[code] for code in SELECTED})
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
        found.warn(f"{text}; {_REMEDY[code]}", member=member, code=code)
