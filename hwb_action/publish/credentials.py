"""Which credential an upload uses, in one documented order.

1. Options: ``--token`` (sent as ``__token__``), then ``--username``/``--password``, then a
   ``user:password@`` written into the ``--repository`` URL;
2. the environment: ``HWB_TOKEN``, then ``HWB_USERNAME``/``HWB_PASSWORD``, then twine's
   ``TWINE_USERNAME``/``TWINE_PASSWORD`` (a password without a user name is a token);
3. trusted publishing, where the CI can hand out an OIDC ID token and the index offers the
   exchange (``--trusted-publishing auto``, the default; ``always`` skips steps 1-2 and
   fails without it; ``never`` skips it);
4. otherwise a :class:`~hwb_action.errors.ConfigError` listing these options.

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
from hwb_action.publish.target import LegacyTarget, S3Target
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


def given_credentials(
    given: GivenCredentials, target: LegacyTarget, environ: Mapping[str, str]
) -> Credentials | None:
    """Steps 1 and 2 of the order in the module docstring."""
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
        return _pair(user or environ.get("TWINE_USERNAME", ""), environ["TWINE_PASSWORD"],
                     "TWINE_PASSWORD")
    return None


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
) -> Credentials:
    """The credential for ``target``, in the order of the module docstring."""
    mask_given(given, environ, reporter)
    mask_target(target, reporter)
    if mode != "always":
        found = given_credentials(given, target, environ)
        if found is not None:
            mask_credentials(found, reporter)
            return found
    elif given_credentials(given, target, environ) is not None:
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
