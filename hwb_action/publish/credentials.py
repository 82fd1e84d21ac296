"""Which credential an upload uses, in one documented order.

The target comes first: ``--repository`` (``pypi``, ``testpypi``, a URL, or a section of
``.pypirc``); left at its default, ``TWINE_REPOSITORY_URL`` and then ``TWINE_REPOSITORY`` (a
``.pypirc`` section) choose it, as they do for twine.  ``.pypirc`` is ``~/.pypirc`` (the
environment's ``HOME``), read as twine reads it (:mod:`hwb_action.publish.pypirc`).  Then:

1. Options: ``--token`` (sent as ``__token__``), then ``--username``/``--password``, then a
   ``user:password@`` written into the ``--repository`` URL;
2. the environment: ``HWB_TOKEN``, then ``HWB_USERNAME``/``HWB_PASSWORD``, then twine's
   ``TWINE_USERNAME``/``TWINE_PASSWORD`` (a password without a user name is a token).  The
   twine pair goes only to the repository it was meant for: the one ``TWINE_REPOSITORY_URL``
   names, else the ``.pypirc`` section ``TWINE_REPOSITORY`` names, else (neither set) the
   target, as twine sends it to its ``--repository-url``.  When the environment names
   another repository than the target, nothing is sent: a :class:`ConfigError` (exit 2)
   names the variables;
3. ``.pypirc``: the ``username``/``password`` of the section whose ``repository`` is the
   target's upload URL (``[pypi]`` and ``[testpypi]`` need none); a section written for
   another repository is never used;
4. trusted publishing, where the CI can hand out an OIDC ID token and the index offers the
   exchange (``--trusted-publishing auto``, the default; ``always`` skips steps 1-3 and
   fails without it; ``never`` skips it);
5. otherwise a :class:`~hwb_action.errors.ConfigError` listing these options.

Every secret is handed to the reporter the moment it is read, in every form it may take in
output (:func:`hwb_action.trust.secret_forms`: URL-encoded, base64, inside an
``Authorization: Basic`` header), and the credential an upload sends as the basic-auth
header it becomes (:func:`hwb_action.trust.credential_pair_forms`), so that an index that
echoes the header back cannot show it.  A token used as a URL's user name
(``https://TOKEN@host/``) counts as a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from hwb_action.ci import Reporter
from hwb_action.errors import ConfigError
from hwb_action.publish.oidc import MintedToken, TrustedPublisher, ci_provider
from hwb_action.publish.pypirc import (
    RepositoryConfig,
    environment_repository,
    read_pypirc,
    same_repository,
)
from hwb_action.publish.target import LegacyTarget, S3Target, strip_userinfo
from hwb_action.trust import mask_credential_pair, mask_secret, register_secrets

TOKEN_USERNAME = "__token__"  # noqa: S105 - the user name of API tokens, not a secret
TrustedMode = Literal["auto", "always", "never"]


@dataclass(frozen=True, kw_only=True)
class GivenCredentials:
    """What the options said (``""`` = not given), before the environment is consulted."""

    token: str = field(default="", repr=False)
    username: str = ""
    password: str = field(default="", repr=False)


@dataclass(frozen=True, kw_only=True)
class Credentials:
    """The user name and password an upload sends, and where they came from (for messages)."""

    username: str
    password: str = field(repr=False)
    source: str
    minted: MintedToken | None = None


NO_CREDENTIALS_HINT = (
    "give a credential: --token or HWB_TOKEN (an API token), --username/--password or "
    "TWINE_USERNAME/TWINE_PASSWORD, or use trusted publishing from CI (GitHub Actions with "
    "`permissions: id-token: write`, GitLab CI with `id_tokens: { PYPI_ID_TOKEN: "
    "{ aud: pypi } }`)"
)


def _pair(username: str, password: str, source: str) -> Credentials:
    return Credentials(username=username or TOKEN_USERNAME, password=password, source=source)


def _twine_meant_for(target: LegacyTarget, environ: Mapping[str, str],
                     sections: Mapping[str, RepositoryConfig]) -> None:
    """Raise :class:`ConfigError` when the environment names another repository than
    ``target`` for its ``TWINE_USERNAME``/``TWINE_PASSWORD``."""
    named = environment_repository(environ, sections)
    if named is None or (named.url and same_repository(named.url, target.upload_url)):
        return
    meant = named.variable
    if not named.url:
        meant += ", a repository that is not in .pypirc"
    elif named.variable.startswith("TWINE_REPOSITORY="):
        meant += f" ({strip_userinfo(named.url)[0]})"
    msg = (f"TWINE_PASSWORD is meant for the repository of {meant}, not for "
           f"{target.display_url}; it was not sent")
    raise ConfigError(msg, hint=f"publish to that repository (--repository), give the "
                                f"credential for {target.display_url} (--token, HWB_TOKEN, "
                                "or .pypirc), or unset TWINE_REPOSITORY_URL/TWINE_REPOSITORY "
                                "and TWINE_USERNAME/TWINE_PASSWORD")


def pypirc_credentials(target: LegacyTarget, given: GivenCredentials,
                       sections: Mapping[str, RepositoryConfig]) -> Credentials | None:
    """Step 3: the ``.pypirc`` section written for ``target``'s upload URL."""
    for section in sections.values():
        if section.password and same_repository(section.repository, target.upload_url):
            return _pair(given.username or section.username, section.password,
                         f".pypirc [{section.name}]")
    return None


def given_credentials(
    given: GivenCredentials, target: LegacyTarget, environ: Mapping[str, str],
    sections: Mapping[str, RepositoryConfig] | None = None,
) -> Credentials | None:
    """Steps 1 and 2 of the order in the module docstring (``sections``: the ``.pypirc``
    read, by default none but ``pypi`` and ``testpypi``)."""
    if given.token:
        return _pair(TOKEN_USERNAME, given.token, "--token")
    if given.password:
        return _pair(given.username or target.url_username or "", given.password, "--password")
    if target.url_password:
        return _pair(given.username or target.url_username or "", target.url_password,
                     "the password in the --repository URL")
    if environ.get("HWB_TOKEN"):
        return _pair(TOKEN_USERNAME, environ["HWB_TOKEN"], "HWB_TOKEN")
    user = given.username or environ.get("HWB_USERNAME", "")
    if environ.get("HWB_PASSWORD"):
        return _pair(user, environ["HWB_PASSWORD"], "HWB_PASSWORD")
    if environ.get("TWINE_PASSWORD"):
        _twine_meant_for(target, environ, read_pypirc(None) if sections is None else sections)
        return _pair(user or environ.get("TWINE_USERNAME", ""), environ["TWINE_PASSWORD"],
                     "TWINE_PASSWORD")
    return None


def _any_credential(given: GivenCredentials, target: LegacyTarget, environ: Mapping[str, str],
                    sections: Mapping[str, RepositoryConfig]) -> bool:
    try:
        return given_credentials(given, target, environ, sections) is not None
    except ConfigError:  # a twine credential meant elsewhere: it is ignored all the same
        return True


def mask_given(given: GivenCredentials, environ: Mapping[str, str], reporter: Reporter) -> None:
    """Mask every secret we could use, before anything else happens: the options', and
    every secret variable of ``environ`` (:func:`hwb_action.trust.register_secrets`)."""
    register_secrets(environ, reporter, extra=[v for v in (given.token, given.password) if v])


def mask_target(target: LegacyTarget | S3Target, reporter: Reporter) -> None:
    """Mask the credentials written into a target's URL, as written and decoded; without a
    password the user name is the secret (a token)."""
    for secret in (*target.url_secrets, target.url_password or ""):
        if secret:
            mask_secret(secret, reporter)
    if target.url_username and target.url_password:
        mask_credential_pair(target.url_username, target.url_password, reporter)


def mask_credentials(credentials: Credentials, reporter: Reporter) -> None:
    """Mask the pair an upload sends, as its basic-auth header too."""
    mask_credential_pair(credentials.username, credentials.password, reporter)


def resolve_credentials(
    target: LegacyTarget,
    given: GivenCredentials,
    *,
    environ: Mapping[str, str],
    reporter: Reporter,
    mode: TrustedMode = "auto",
    publisher: TrustedPublisher | None = None,
    pypirc: Mapping[str, RepositoryConfig] | None = None,
) -> Credentials:
    """The credential for ``target``, in the order of the module docstring (``pypirc``: the
    sections of ``.pypirc``, read by the caller; None: none but ``pypi`` and ``testpypi``)."""
    mask_given(given, environ, reporter)
    mask_target(target, reporter)
    sections = read_pypirc(None) if pypirc is None else pypirc
    for section in sections.values():
        if section.password:
            mask_secret(section.password, reporter)
    if mode != "always":
        found = (given_credentials(given, target, environ, sections)
                 or pypirc_credentials(target, given, sections))
        if found is not None:
            mask_credentials(found, reporter)
            return found
    elif _any_credential(given, target, environ, sections):
        reporter.warning("--trusted-publishing always: ignoring the credential that was given")
    provider = ci_provider(environ)
    if mode == "always" or (mode == "auto" and provider is not None):
        tp = publisher or TrustedPublisher(target.oidc_base, environ=environ, reporter=reporter)
        minted = tp.mint()
        credentials = Credentials(username=TOKEN_USERNAME, password=minted.token,
                                  source=f"trusted publishing ({minted.provider})",
                                  minted=minted)
        mask_credentials(credentials, reporter)
        return credentials
    where = f"for {target.display_url}"
    if mode == "never":
        msg = f"no credentials {where} (and --trusted-publishing never)"
    else:
        msg = f"no credentials {where}, and this is not a CI job that offers trusted publishing"
    raise ConfigError(msg, hint=NO_CREDENTIALS_HINT)
