"""The trust boundary: which environment variables are publishing secrets.

Build backends, build hooks, ``before-build`` and test commands run code hwb does not trust
(third-party build requirements, sdists, pull-request branches), in jobs that may hold
publishing rights.  Those processes get :func:`untrusted_environ`: the caller's environment
less every variable that :func:`is_secret_name` names.

A deny-list, not an allow-list, and why: builds legitimately read an open-ended set of
variables (``CC``, ``CFLAGS``, ``PKG_CONFIG_PATH``, ``SETUPTOOLS_SCM_PRETEND_VERSION``,
``MACOSX_DEPLOYMENT_TARGET``, a project's own switches), so an allow-list would break real
builds in ways users cannot predict, while the names that carry publishing rights follow a
few well-known shapes (``*_TOKEN``, ``*PASSWORD*``, ``*SECRET*``, the OIDC request
variables, twine's and uv's publish variables).  The list errs on the side of removing: a
build that needs a token-shaped variable gets it through ``environment``/``CIBW_ENVIRONMENT``
on purpose.  ``tests/unit/test_trust.py`` keeps the list honest.

Package installers that create build environments may read the index credentials they need
(``PIP_*``, ``UV_INDEX_*``, netrc), never publishing ones: :func:`installer_environ`.

Every value of such a variable is also registered with the reporter
(:func:`register_secrets`), so that a backend that finds one elsewhere and prints it cannot
show it, in plain text or in the encodings that :func:`secret_forms` lists.
"""

from __future__ import annotations

import base64
import re
import urllib.parse
import weakref
from collections.abc import Iterable, Mapping
from typing import Protocol

# Exact names that carry publishing rights, CI identities or a way to them.
SECRET_NAMES: frozenset[str] = frozenset({
    "HWB_TOKEN", "HWB_PASSWORD", "HWB_USERNAME",
    "TWINE_PASSWORD", "TWINE_USERNAME", "TWINE_REPOSITORY_URL", "TWINE_CERT",
    "UV_PUBLISH_TOKEN", "UV_PUBLISH_PASSWORD", "UV_PUBLISH_USERNAME",
    "FLIT_PASSWORD", "FLIT_USERNAME", "PDM_PUBLISH_PASSWORD", "PDM_PUBLISH_USERNAME",
    "HATCH_INDEX_AUTH", "HATCH_INDEX_USER",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_RUNTIME_TOKEN", "ACTIONS_RUNTIME_URL", "ACTIONS_CACHE_URL", "ACTIONS_RESULTS_URL",
    "GITHUB_TOKEN", "GH_TOKEN", "CI_JOB_TOKEN", "CI_JOB_JWT", "CI_JOB_JWT_V1", "CI_JOB_JWT_V2",
    "CI_REGISTRY_PASSWORD", "CI_DEPLOY_PASSWORD", "DOCKER_AUTH_CONFIG",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "SIGSTORE_ID_TOKEN", "SSH_AUTH_SOCK",
})

# Shapes of secret names (matched against the upper-cased name).  ``_KEY``/``_AUTH``/``_PAT``
# endings are keys, basic-auth pairs and personal access tokens by convention (``GPG_KEY``,
# ``NPM_CONFIG__AUTH``, ``GH_PAT``); no build switch worth keeping has such a name.
SECRET_PATTERNS: tuple[re.Pattern[str], ...] = tuple(re.compile(p) for p in (
    r".*_TOKEN$", r".*_TOKEN_.*", r"^TOKEN$", r".*PASSWORD.*", r".*PASSWD.*", r".*SECRET.*",
    r".*_KEY$", r".*_AUTH$", r".*_PAT$", r".*_JWT(_V\d+)?$", r".*CREDENTIALS?$",
    r"^TWINE_.*", r"^POETRY_PYPI_TOKEN_.*", r"^POETRY_HTTP_BASIC_.*",
))

# What an installer may read even though it matches a pattern: credentials for the indexes
# that serve build requirements (read access), never an upload credential; and the SSH
# agent, for ``git+ssh://`` build requirements.
_INSTALLER_PREFIXES: tuple[str, ...] = ("PIP_", "UV_INDEX_", "UV_EXTRA_INDEX_", "UV_DEFAULT_INDEX",
                                        "SSH_AUTH_SOCK")


# The runner's command files.  A process that appends to them sets the environment, PATH or
# outputs of later steps, or this step's summary (cibuildwheel rewrites the summary file
# whole, which erased hwb's section): untrusted processes do not learn where they are.
CI_COMMAND_FILES: frozenset[str] = frozenset({
    "GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT", "GITHUB_STATE", "GITHUB_STEP_SUMMARY",
})


def is_secret_name(name: str) -> bool:
    """Whether the variable ``name`` may carry a publishing secret or CI identity."""
    upper = name.upper()
    return upper in SECRET_NAMES or any(p.match(upper) for p in SECRET_PATTERNS)


def untrusted_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment for code hwb does not trust: ``environ`` without secret variables
    and without the runner's command files."""
    return {k: v for k, v in environ.items()
            if not is_secret_name(k) and k.upper() not in CI_COMMAND_FILES}


def installer_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment for pip/uv creating build environments: no publishing secret, but
    the installers' own index credentials."""
    return {k: v for k, v in environ.items()
            if (not is_secret_name(k) or k.upper().startswith(_INSTALLER_PREFIXES))
            and k.upper() not in CI_COMMAND_FILES}


def secret_values(environ: Mapping[str, str]) -> list[str]:
    """The values of the secret variables in ``environ`` worth hiding (4+ characters).

    User names are kept out of builds but not hidden (output that says which user uploaded
    is useful); of a URL (``TWINE_REPOSITORY_URL``, ``ACTIONS_ID_TOKEN_REQUEST_URL``) only
    the credentials written into it are hidden."""
    values: list[str] = []
    for name, value in environ.items():
        upper = name.upper()
        if not is_secret_name(name) or upper.endswith(("USERNAME", "_USER")):
            continue
        if upper.endswith("_URL"):
            values.extend(url_secrets(value))
        else:
            values.append(value)
    return [v for v in values if len(v) >= 4]


def url_secrets(url: str) -> list[str]:
    """The credentials written into ``url`` (``https://user:password@host/`` gives the
    password; ``https://TOKEN@host/``, a token used as the user name, gives the token), both
    as written (percent-encoded) and decoded."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
    except ValueError:
        return []
    userinfo, at, _ = parts.netloc.rpartition("@")
    if not at:
        return []
    user, colon, password = userinfo.partition(":")
    secret = password if colon and password else user
    return [s for s in {secret, urllib.parse.unquote(secret)} if s]


def _base64_cores(data: bytes) -> set[str]:
    """The part of any base64 text that encodes ``data``, wherever it starts in the encoded
    bytes: base64 maps 3 bytes to 4 characters, so ``data`` can sit at 3 offsets in a group;
    for each, the characters that depend on ``data`` alone appear in every encoding that
    contains it (an ``Authorization: Basic`` header, a JSON blob, a config file)."""
    cores: set[str] = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode().rstrip("=")
        first = -(-8 * offset // 6)  # the first character with no bit of the padding
        last = 8 * (offset + len(data)) // 6  # one past the last character full of data
        core = encoded[first:last]
        cores.update((core, core.replace("+", "-").replace("/", "_")))
    return cores


def secret_forms(secret: str) -> list[str]:
    """``secret`` as it may appear in output: plain; URL-encoded (``%XX`` in either case,
    ``+`` for spaces, ``/`` kept or not); and base64, alone or inside any longer base64 text
    such as an ``Authorization: Basic`` header of ``user:secret`` (standard and URL-safe
    alphabets)."""
    forms = {secret}
    for safe in ("", "/"):
        for quoted in (urllib.parse.quote(secret, safe=safe),
                       urllib.parse.quote_plus(secret, safe=safe)):
            forms.update((quoted, re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quoted)))
    forms.update(_base64_cores(secret.encode()))
    return sorted(f for f in forms if len(f) >= 4)


def credential_pair_forms(username: str, password: str) -> list[str]:
    """What an ``Authorization: Basic`` header made from ``username:password`` looks like
    (whole, so that the user name it carries is hidden too)."""
    raw = f"{username}:{password}".encode()
    return [base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()]


class _Masker(Protocol):
    def mask(self, secret: str) -> None: ...


# What each reporter was already handed, so that a secret met twice (the environment, then
# the resolved credential) is announced once (a GitHub reporter prints ``::add-mask::``).
_handed: weakref.WeakKeyDictionary[_Masker, set[str]] = weakref.WeakKeyDictionary()


def _hand(reporter: _Masker, forms: Iterable[str]) -> None:
    try:
        seen = _handed.setdefault(reporter, set())
    except TypeError:  # not weak-referenceable: hand everything over
        seen = set()
    for form in forms:
        if form not in seen:
            seen.add(form)
            reporter.mask(form)


def mask_secret(secret: str, reporter: _Masker) -> None:
    """Hide ``secret`` in all its forms (:func:`secret_forms`)."""
    _hand(reporter, secret_forms(secret))


def mask_credential_pair(username: str, password: str, reporter: _Masker) -> None:
    """Hide ``password`` in all its forms, and the basic-auth header of the pair."""
    _hand(reporter, [*secret_forms(password), *credential_pair_forms(username, password)])


def register_secrets(environ: Mapping[str, str], reporter: _Masker,
                     extra: Iterable[str] = ()) -> None:
    """Hide every secret value of ``environ`` (and ``extra``) in all its forms."""
    for value in [*secret_values(environ), *extra]:
        mask_secret(value, reporter)
