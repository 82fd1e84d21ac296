"""The identifiers cibuildwheel selects, computed in-process with the cibuildwheel hwb uses.

cibuildwheel's own :class:`~cibuildwheel.options.Options` reads the project (``[tool.cibuildwheel]``
with its platform tables, ``overrides``, ``enable`` and ``inherit``; ``CIBW_*`` variables;
requires-python from pyproject.toml, setup.cfg or setup.py) and gives the
:class:`~cibuildwheel.selector.BuildSelector`; its platform modules give the Python
configurations.  hwb only decides the architectures, because cibuildwheel resolves ``auto``
for the machine it runs on while a plan is for the runners of the matrix (see
:mod:`hwb_action.plan.runners`).  Tested against cibuildwheel 4.3.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hwb_action.errors import ConfigError
from hwb_action.plan.runners import ARCH_KEYWORDS, PLATFORMS, Platform


@dataclass(frozen=True, kw_only=True)
class Selection:
    """What cibuildwheel builds for one platform on the plan's runners."""

    platform: Platform
    identifiers: tuple[str, ...]  # in cibuildwheel's order
    archs: tuple[str, ...]  # cibuildwheel's spelling, e.g. ("x86_64", "i686")
    requires_python: str | None


class UnknownArch(ValueError):
    """An architecture name that cibuildwheel does not know."""

    def __init__(self, word: str) -> None:
        self.word = word
        super().__init__(word)


def known_arch_words() -> list[str]:
    from cibuildwheel.architecture import Architecture

    return sorted({a.value for a in Architecture} | set(ARCH_KEYWORDS))


def _split(text: str) -> list[str]:
    return [w for w in re.split(r"[\s,]+", text) if w]


def resolve_archs(words: Sequence[str], platform: Platform, *, translate: bool) -> list[str]:
    """The architectures of ``platform`` that ``words`` name, keywords resolved per runner.

    With ``translate`` (hwb's own ``archs``, one list for every platform) a name of another
    platform becomes this platform's synonym (``arm64`` is aarch64 on Linux, ``x86_64`` is
    AMD64 on Windows) and a name with no counterpart is left out; without it (the project's
    cibuildwheel ``archs``) a name of another platform selects nothing, as in cibuildwheel.
    An unknown name raises :class:`UnknownArch`.
    """
    from cibuildwheel import errors as cibw_errors
    from cibuildwheel.architecture import Architecture, arch_synonym

    mine = ARCH_KEYWORDS["all"][platform]
    out: list[str] = []
    for word in words:
        if word in ARCH_KEYWORDS:
            picked = list(ARCH_KEYWORDS[word][platform])
        else:
            try:
                (arch,) = Architecture.parse_config(word, platform=platform)
            except cibw_errors.ConfigurationError:
                raise UnknownArch(word) from None
            picked = [arch.value] if arch.value in mine else []
            if not picked and translate:
                for other in PLATFORMS:
                    synonym = arch_synonym(arch.value, other, platform)
                    if synonym in mine:
                        picked = [str(synonym)]
                        break
        out += [a for a in picked if a not in out]
    return sorted(out, key=mine.index)


def select(
    root: Path,
    platform: Platform,
    *,
    environ: Mapping[str, str],
    build: str | None = None,
    skip: str | None = None,
    archs: Sequence[str] | None = None,
    enable: Sequence[str] = (),
    config_file: str | None = None,
    config_text: str = "",
) -> Selection:
    """cibuildwheel's selection for ``platform`` on the plan's runners.

    ``environ`` supplies the ``CIBW_*`` variables (nothing else of it is read); ``build`` and
    ``skip`` replace the project's selectors as ``CIBW_BUILD``/``CIBW_SKIP`` do; ``archs``
    (hwb's own, translated across platforms) replaces every ``archs`` of the project as
    ``--archs`` does; ``enable`` adds groups as ``--enable`` does.  cibuildwheel's
    configuration errors become :class:`ConfigError` naming ``config_file``.
    """
    from cibuildwheel import errors as cibw_errors
    from cibuildwheel.architecture import Architecture
    from cibuildwheel.options import CommandLineArguments, ListFormat, Options
    from cibuildwheel.platforms import linux, macos, windows

    env = {k: v for k, v in environ.items() if k.startswith("CIBW_")}
    variables = sorted(env)  # the user's, for the error hint
    if build is not None:
        env["CIBW_BUILD"] = build
    if skip is not None:
        env["CIBW_SKIP"] = skip
    args = dataclasses.replace(CommandLineArguments.defaults(), platform=platform,
                               package_dir=root, enable=list(enable))
    try:
        options = Options(platform, args, env)
        selector = options.globals.build_selector
        if archs is not None:
            arch_values = resolve_archs(archs, platform, translate=True)
        else:
            config = options.reader.get("archs", option_format=ListFormat(sep=" "),
                                        ignore_empty=True)
            arch_values = resolve_archs(_split(config), platform, translate=False)
        chosen = {Architecture(a) for a in arch_values}
        if platform == "macos":
            # macos.get_python_configurations also drops PyPy/GraalPy arm64 builds when the
            # machine *running* it is x86_64 (and logs that); the arm64 runner of the plan
            # builds them, so the selection is made here without that host filter.
            configs = [c.identifier for c in macos.all_python_configurations()
                       if any(c.identifier.endswith(a.value) for a in chosen)
                       and selector(c.identifier)]
        else:
            module = linux if platform == "linux" else windows
            configs = [c.identifier for c in module.get_python_configurations(selector, chosen)]
        requires = selector.requires_python
    except UnknownArch as err:
        msg = f"[tool.cibuildwheel] archs: unknown architecture {err.word!r}"
        raise ConfigError(msg, file=config_file, line=_line_of(config_text, repr(err.word)),
                          hint="architectures: "
                          + ", ".join(known_arch_words())) from None
    except (cibw_errors.FatalError, ValueError) as err:
        # FatalError derives from BaseException: it must be named to be caught.
        text = str(err.args[0]) if err.args else type(err).__name__
        msg = f"cibuildwheel cannot read the project's configuration: {text}"
        where = ("[tool.cibuildwheel] or the CIBW_* variables set here ("
                 + ", ".join(variables) + ")") if variables else "[tool.cibuildwheel]"
        raise ConfigError(msg, file=config_file, line=_line_of(config_text, text),
                          hint=f"fix {where}; see "
                          "https://cibuildwheel.pypa.io/en/stable/options/") from None
    return Selection(platform=platform, identifiers=tuple(configs), archs=tuple(arch_values),
                     requires_python=None if requires is None else str(requires))


def _line_of(text: str, message: str) -> int | None:
    """The line of ``[tool.cibuildwheel...]`` that holds the first quoted word of a
    cibuildwheel message (an option name or a value), if it is there."""
    found = re.search(r"'([^'\s]+)'", message)
    if not found or not text:
        return None
    inside = False
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            inside = stripped.lstrip("[").startswith("tool.cibuildwheel")
        elif inside and re.search(r"(^|[\s\"'\[,{.])" + re.escape(found.group(1))
                                  + r"($|[\s\"'=\],}.])", stripped):
            return number
    return None


def arch_of(platform: Platform, identifier: str) -> str:
    """The cibuildwheel architecture an identifier builds: ``cp312-win32`` -> ``x86``."""
    tag = identifier.split("-", 1)[1]
    if platform == "windows":
        return {"win32": "x86", "win_amd64": "AMD64", "win_arm64": "ARM64"}[tag]
    return tag.split("_", 1)[1]


def language_version(identifier: str) -> str:
    """``cp312-...`` -> ``3.12``, ``cp314t-...`` -> ``3.14``, ``gp312_250-...`` -> ``3.12``."""
    head = identifier.split("-", 1)[0].split("_", 1)[0].removesuffix("t")
    return f"{head[2]}.{head[3:]}"
