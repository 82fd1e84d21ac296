"""twine's ``.pypirc`` and ``TWINE_REPOSITORY*`` variables: which repository a credential
from the environment or from the file was meant for.

The file is read as twine reads it (https://packaging.python.org/specifications/pypirc/):
``[distutils] index-servers`` lists the sections to read (default ``pypi testpypi``); each
section may hold ``repository``, ``username`` and ``password``; ``[pypi]`` and ``[testpypi]``
need no ``repository``; ``[server-login]`` gives every section a default user and password.
"""

from __future__ import annotations

import configparser
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from hwb_action.errors import ConfigError
from hwb_action.publish.target import PYPI_UPLOAD, TESTPYPI_UPLOAD, strip_userinfo


@dataclass(frozen=True, kw_only=True)
class RepositoryConfig:
    """One ``.pypirc`` section."""

    name: str
    repository: str
    username: str = ""
    password: str = field(default="", repr=False)


def default_path(environ: Mapping[str, str]) -> Path | None:
    """``~/.pypirc`` of the environment's ``HOME`` (twine's default ``--config-file``)."""
    home = environ.get("HOME") or environ.get("USERPROFILE") or ""
    return Path(home) / ".pypirc" if home else None


def read_pypirc(path: Path | None) -> dict[str, RepositoryConfig]:
    """The sections of ``path`` (a missing file: only ``pypi`` and ``testpypi``)."""
    parser = configparser.RawConfigParser()
    if path is not None and path.is_file():
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, OSError, UnicodeDecodeError) as err:
            msg = f"{path}: not a readable .pypirc ({type(err).__name__}: {err})"
            raise ConfigError(msg, hint="fix the file (it is an INI file, as twine reads "
                                        "it), or move it away") from err
    user = parser.get("server-login", "username", fallback="")
    password = parser.get("server-login", "password", fallback="")
    servers = parser.get("distutils", "index-servers", fallback="pypi testpypi").split()
    known = {"pypi": PYPI_UPLOAD, "testpypi": TESTPYPI_UPLOAD}
    found: dict[str, RepositoryConfig] = {
        "pypi": RepositoryConfig(name="pypi", repository=PYPI_UPLOAD, username=user,
                                 password=password)}
    for name in servers:
        repository = parser.get(name, "repository", fallback=known.get(name, ""))
        if not repository:
            continue  # twine fails later for such a section; here it simply matches nothing
        found[name] = RepositoryConfig(
            name=name, repository=repository,
            username=parser.get(name, "username", fallback=user),
            password=parser.get(name, "password", fallback=password))
    return found


def same_repository(a: str, b: str) -> bool:
    """Whether two upload URLs name one repository (case of scheme and host, a trailing
    slash and credentials written into the URL do not count)."""
    def key(url: str) -> tuple[str, str, int | None, str]:
        parts = urlsplit(url.strip())
        try:
            port = parts.port
        except ValueError:
            port = None
        return (parts.scheme.lower(), (parts.hostname or "").lower(), port,
                parts.path.rstrip("/"))

    return key(a) == key(b)


@dataclass(frozen=True, kw_only=True)
class NamedRepository:
    """The repository the environment names for its twine credentials."""

    url: str
    """Its upload URL; ``""`` when ``TWINE_REPOSITORY`` names a section that is not there."""
    variable: str
    """``TWINE_REPOSITORY_URL=...`` or ``TWINE_REPOSITORY=...``, for messages."""


def environment_repository(environ: Mapping[str, str],
                           sections: Mapping[str, RepositoryConfig]) -> NamedRepository | None:
    """The repository ``TWINE_REPOSITORY_URL`` (first, as in twine) or ``TWINE_REPOSITORY``
    (a ``.pypirc`` section, ``pypi`` or ``testpypi``) names; None when neither is set."""
    url = environ.get("TWINE_REPOSITORY_URL", "").strip()
    if url:
        # Credentials written into the URL are not shown (they are masked as secrets too).
        return NamedRepository(url=url, variable=f"TWINE_REPOSITORY_URL={strip_userinfo(url)[0]}")
    name = environ.get("TWINE_REPOSITORY", "").strip()
    if name:
        section = sections.get(name)
        return NamedRepository(url=section.repository if section else "",
                               variable=f"TWINE_REPOSITORY={name}")
    return None


def choose_repository(repository: str, *, default: bool, environ: Mapping[str, str],
                      sections: Mapping[str, RepositoryConfig]) -> tuple[str, str]:
    """``--repository`` as a name or URL :func:`~hwb_action.publish.target.resolve_target`
    takes, and what chose it (for the log): a ``.pypirc`` section's name gives its URL; left
    at its ``default``, ``TWINE_REPOSITORY_URL`` or ``TWINE_REPOSITORY`` choose, as in twine."""
    if default:
        named = environment_repository(environ, sections)
        if named is not None:
            if not named.url:
                msg = f"{named.variable}: no such section in .pypirc"
                raise ConfigError(msg, hint="add the section ([distutils] index-servers and "
                                            "[NAME] with repository = URL) to ~/.pypirc, or "
                                            "use --repository")
            return named.url, named.variable
        return repository, "--repository"
    name = repository.strip()
    if "://" not in name and name.lower() not in ("pypi", "testpypi") and name in sections:
        return sections[name].repository, f".pypirc [{name}]"
    return repository, "--repository"
