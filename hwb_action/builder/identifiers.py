"""cibuildwheel identifiers and the wheels that serve them.

cibuildwheel does not say which wheel came from which identifier of a run, and an abi3 wheel
(``cp312-abi3-...``) serves several; these read it from the wheels' tags, with no process.
"""

from __future__ import annotations

from collections.abc import Sequence

from hwb_action.plan.runners import Platform


def platform_of(identifier: str) -> Platform | None:
    """The platform of a cibuildwheel identifier (None for one hwb does not build)."""
    tag = identifier.partition("-")[2]
    if tag.startswith(("manylinux_", "musllinux_")):
        return "linux"
    if tag.startswith("macosx_"):
        return "macos"
    if tag in ("win32", "win_amd64", "win_arm64"):
        return "windows"
    return None


def arch_of(identifier: str) -> str:
    """cibuildwheel's architecture of an identifier: ``cp312-win32`` -> ``x86``."""
    from hwb_action.plan.cibw import arch_of as plan_arch

    platform = platform_of(identifier)
    return plan_arch(platform, identifier) if platform else ""


def _platform_matches(identifier_tag: str, wheel_platform: str) -> bool:
    """Whether a wheel's platform tag is the one an identifier builds (``manylinux_x86_64``
    is ``manylinux_2_17_x86_64``, ``manylinux2014_x86_64``...; Windows tags are equal)."""
    if identifier_tag == wheel_platform:
        return True
    family, _, arch = identifier_tag.partition("_")
    return (wheel_platform.startswith(family) and wheel_platform.endswith("_" + arch)
            and family in ("manylinux", "musllinux", "macosx"))


def served_identifiers(filename: str, targets: Sequence[str]) -> tuple[str, ...]:
    """The identifiers of ``targets`` a wheel installs on: its own, and for an abi3 (or
    ``none``-ABI) wheel every later stable CPython of the same platform, as cibuildwheel
    reuses such a wheel instead of building it again."""
    from packaging.utils import parse_wheel_filename

    tags = parse_wheel_filename(filename)[3]
    served: list[str] = []
    for ident in targets:
        head, _, plat = ident.partition("-")
        for tag in tags:
            if not _platform_matches(plat, tag.platform):
                continue
            stable_cp = head.startswith("cp") and not head.endswith("t")
            if tag.abi in ("abi3", "none") and stable_cp and tag.interpreter.startswith("cp"):
                ok = _version(head) >= _version(tag.interpreter)
            else:
                ok = tag.interpreter == head.removesuffix("t") and (
                    not head.startswith("cp") or tag.abi == head)
            if ok:
                served.append(ident)
                break
    return tuple(served)


def built_elsewhere(filename: str, targets: Sequence[str],
                    elsewhere: Sequence[str]) -> str | None:
    """The identifier of another cell that makes this same wheel, or None.

    An abi3 wheel built for a later CPython carries the tag of the earliest one
    (``cp312-abi3-...`` from a cp313 build) when the backend declares abi3 in a way the plan
    did not see; the cp312 cell then makes the same file (with another hash).
    """
    from packaging.utils import parse_wheel_filename

    tags = parse_wheel_filename(filename)[3]
    for ident in served_identifiers(filename, targets):
        plat = ident.partition("-")[2]
        for tag in tags:
            own = f"{tag.interpreter}-{plat}"
            if tag.abi in ("abi3", "none") and own not in targets and own in elsewhere:
                return own
    return None


def _version(code: str) -> tuple[int, int]:
    digits = code[2:].removesuffix("t")
    return (int(digits[0]), int(digits[1:] or 0)) if digits.isdigit() else (0, 0)
