"""Trusted publishing: exchange the CI's OIDC ID token for a short-lived index token.

The protocol (PyPI's, also offered by other indexes that follow it):

1. ``GET {index}/_/oidc/audience`` -> ``{"audience": "pypi"}``;
2. the CI's ID token for that audience, through the ``id`` library (GitHub Actions'
   ``ACTIONS_ID_TOKEN_REQUEST_URL``/``_TOKEN``, GitLab's ``<AUD>_ID_TOKEN`` such as
   ``PYPI_ID_TOKEN``, Buildkite, CircleCI, Google Cloud);
3. ``POST {index}/_/oidc/mint-token`` ``{"token": JWT}`` -> ``{"success": true, "token":
   "pypi-...", "expires": ts}``, or 422 ``{"message", "errors": [{"code", "description"}]}``;
4. upload as ``__token__``; afterwards ``POST {index}/_/oidc/burn-token`` (best effort).

Both tokens are masked the moment they are read.  The exchange happens once per process;
a JWT may be exchanged only once (``invalid-reuse-token``), so mint once per job.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from hwb_action._text import shorten
from hwb_action.ci import Reporter
from hwb_action.errors import PublishError
from hwb_action.trust import mask_secret

# The claims worth showing: enough to compare with the trusted publisher configured on the
# index, nothing secret (an ID token's claims are not secret; its signature is what counts).
GITHUB_CLAIMS = ("sub", "repository", "repository_owner", "repository_owner_id",
                 "workflow_ref", "job_workflow_ref", "ref", "environment", "event_name")
GITLAB_CLAIMS = ("sub", "project_path", "ci_config_ref_uri", "ref_path", "environment",
                 "namespace_path")
OTHER_CLAIMS = ("iss", "sub", "aud")

# What each documented mint-token error code means for the person fixing it.
MINT_ERROR_HELP: dict[str, str] = {
    "invalid-payload": "the index did not accept the request's layout; this is a bug in hwb, "
                       "please report it",
    "not-enabled": "the index has trusted publishing switched off (for this CI provider); "
                   "use an API token (HWB_TOKEN) until it is back",
    "invalid-token": "the ID token is malformed, expired, or not signed by an issuer the "
                     "index trusts; check that the audience matches the index and that the "
                     "job has not been running for longer than the token lives",
    "invalid-pending-publisher": "a pending publisher matched, but the project already exists: "
                                 "add the trusted publisher on the project's own publishing "
                                 "settings page instead",
    "invalid-reuse-token": "this ID token was already exchanged once; a job's ID token is "
                           "single-use (GitLab gives one per job): publish every file in one "
                           "`hwb publish` call",
    "invalid-publisher": "the token is valid but no trusted publisher on the index matches "
                         "its claims: compare the repository, workflow file name and "
                         "environment below with the publisher configured on the index",
}


@dataclass(frozen=True, kw_only=True)
class MintedToken:
    """A short-lived upload token, with the non-secret claims of the ID token behind it."""

    token: str = field(repr=False)
    expires: int | None
    provider: str
    claims: Mapping[str, Any]


def ci_provider(environ: Mapping[str, str]) -> str | None:
    """The CI system that can hand out an ID token here, if any (what ``id`` detects)."""
    if environ.get("GITHUB_ACTIONS") == "true":
        return "GitHub Actions"
    if environ.get("GITLAB_CI") == "true":
        return "GitLab CI/CD"
    if environ.get("BUILDKITE") == "true":
        return "Buildkite"
    if environ.get("CIRCLECI") == "true":
        return "CircleCI"
    return None


@contextlib.contextmanager
def _process_environment(environ: Mapping[str, str]) -> Iterator[None]:
    """``id`` reads ``os.environ``; give it the environment we were handed, then restore."""
    if dict(os.environ) == dict(environ):
        yield
        return
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def decode_claims(jwt: str) -> dict[str, Any]:
    """The payload of a JWT, unverified (the index verifies it); ``{}`` when unreadable."""
    from id import decode_oidc_token

    try:
        _, payload, _ = decode_oidc_token(jwt)
        claims = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def describe_claims(claims: Mapping[str, Any]) -> list[str]:
    """``name: value`` lines for the claims that identify the publisher."""
    if "job_workflow_ref" in claims or "repository_owner" in claims:
        names: tuple[str, ...] = GITHUB_CLAIMS
    elif "project_path" in claims:
        names = GITLAB_CLAIMS
    else:
        names = OTHER_CLAIMS
    return [f"{name}: {claims[name]}" for name in names if claims.get(name) not in (None, "")]


def reusable_workflow_note(claims: Mapping[str, Any]) -> str | None:
    """A note when the token comes from a reusable workflow (the publisher must name it)."""
    job = claims.get("job_workflow_ref")
    top = claims.get("workflow_ref")
    if job and top and job != top:
        return (f"this job runs in a reusable workflow ({job}) called from {top}; the trusted "
                "publisher on the index must name the workflow file it expects, and indexes "
                "that do not support reusable workflows match only the calling workflow")
    return None


def _fork_pull_request(environ: Mapping[str, str]) -> bool:
    if environ.get("GITHUB_EVENT_NAME") not in ("pull_request", "pull_request_review"):
        return False
    path = environ.get("GITHUB_EVENT_PATH")
    if not path:
        return False
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
        return bool(event["pull_request"]["head"]["repo"]["fork"])
    except (OSError, ValueError, KeyError, TypeError):
        return False


def github_permission_hint(environ: Mapping[str, str]) -> str:
    """Why GitHub gave no ID token: a fork's pull request, or a missing permission."""
    if _fork_pull_request(environ):
        return ("this run is for a pull request from a fork, and GitHub never gives such runs "
                "an ID token; publish from a push, a tag or a release of the repository itself")
    return ("grant the job `permissions: id-token: write` (in the job, not only the workflow, "
            "when the workflow sets permissions); pull requests from forks never get it")


class TrustedPublisher:
    """Mints one upload token for one index, and burns it when done."""

    def __init__(
        self,
        base_url: str,
        *,
        environ: Mapping[str, str],
        reporter: Reporter,
        session: requests.Session | None = None,
        timeout: float = 30,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.environ = environ
        self.reporter = reporter
        self.session = session or requests.Session()
        self.timeout = timeout
        self.minted: MintedToken | None = None

    # -- steps ---------------------------------------------------------------------------
    def audience(self) -> str:
        """Step 1: the audience the index expects in ID tokens."""
        url = f"{self.base_url}/_/oidc/audience"
        try:
            resp = self.session.get(url, timeout=self.timeout)
        except requests.RequestException as err:
            msg = f"trusted publishing: could not reach {url}: {type(err).__name__}"
            raise PublishError(msg, hint="check the --repository URL and the network") from err
        if resp.status_code == 404:
            msg = f"trusted publishing: {self.base_url} does not offer it ({url} answered 404)"
            raise PublishError(msg, hint="use an API token or a username and password "
                                         "(--token / HWB_TOKEN, TWINE_USERNAME/TWINE_PASSWORD)")
        try:
            body = resp.json()
            audience = body["audience"]
        except (ValueError, KeyError, TypeError) as err:
            msg = (f"trusted publishing: {url} answered HTTP {resp.status_code} "
                   f"without an audience")
            raise PublishError(msg, details=[shorten(resp.text, 300, one_line=True)],
                               hint="trusted publishing may be disabled on the index; "
                                    "use an API token") from err
        if not isinstance(audience, str) or not audience:
            msg = f"trusted publishing: {url} gave an empty audience"
            raise PublishError(msg)
        return audience

    def id_token(self, audience: str) -> str:
        """Step 2: the CI's ID token for ``audience``, through ``id``."""
        from id import (
            AmbientCredentialError,
            GitHubOidcPermissionCredentialError,
            detect_credential,
        )

        for name in ("ACTIONS_ID_TOKEN_REQUEST_TOKEN",):
            if self.environ.get(name):
                mask_secret(self.environ[name], self.reporter)
        provider = ci_provider(self.environ) or "this environment"
        try:
            with _process_environment(self.environ):
                jwt = detect_credential(audience)
        except GitHubOidcPermissionCredentialError as err:
            msg = "trusted publishing: GitHub Actions gave this job no ID token"
            raise PublishError(msg, details=[self.reporter.redact(str(err))],
                               hint=github_permission_hint(self.environ)) from err
        except AmbientCredentialError as err:
            hint = "check the CI configuration for ID tokens"
            if provider == "GitLab CI/CD":
                var = "".join(c if c.isalnum() else "_" for c in audience.upper()) + "_ID_TOKEN"
                hint = (f"declare the ID token in the job: `id_tokens: {{ {var}: "
                        f"{{ aud: {audience} }} }}`")
            elif provider == "GitHub Actions":
                hint = github_permission_hint(self.environ)
            msg = f"trusted publishing: {provider} could not give an ID token for {audience!r}"
            raise PublishError(msg, details=[self.reporter.redact(str(err))], hint=hint) from err
        if jwt is None:
            msg = f"trusted publishing: {provider} offers no OIDC ID token"
            raise PublishError(msg, hint="trusted publishing works on GitHub Actions, GitLab "
                                         "CI/CD, Buildkite, CircleCI and Google Cloud; "
                                         "elsewhere use an API token (HWB_TOKEN)")
        mask_secret(jwt, self.reporter)
        return jwt

    def mint(self) -> MintedToken:
        """Steps 1-3, once: returns the (cached) minted token."""
        if self.minted is not None:
            return self.minted
        audience = self.audience()
        jwt = self.id_token(audience)
        claims = decode_claims(jwt)
        provider = ci_provider(self.environ) or "OIDC"
        url = f"{self.base_url}/_/oidc/mint-token"
        try:
            resp = self.session.post(url, json={"token": jwt}, timeout=self.timeout)
        except requests.RequestException as err:
            msg = f"trusted publishing: could not reach {url}: {type(err).__name__}"
            raise PublishError(msg, details=describe_claims(claims)) from err
        try:
            body = resp.json()
        except ValueError:
            body = None
        # Mask before anything else looks at the answer.
        if isinstance(body, dict) and isinstance(body.get("token"), str):
            mask_secret(body["token"], self.reporter)
        if resp.ok and isinstance(body, dict) and isinstance(body.get("token"), str):
            expires = body.get("expires")
            self.minted = MintedToken(token=body["token"], provider=provider, claims=claims,
                                      expires=expires if isinstance(expires, int) else None)
            self.reporter.info(f"trusted publishing: minted a short-lived upload token for "
                               f"{self.base_url} ({provider})")
            return self.minted
        raise self._mint_error(resp.status_code, body, claims)

    def _mint_error(self, status: int, body: Any, claims: Mapping[str, Any]) -> PublishError:
        errors = body.get("errors") if isinstance(body, dict) else None
        details: list[str] = []
        codes: list[str] = []
        if isinstance(errors, list):
            for item in errors:
                if not isinstance(item, dict):
                    continue
                code = str(item.get("code", "?"))
                codes.append(code)
                description = self.reporter.redact(str(item.get("description", "")))
                details.append(f"{code}: {description}")
                if code in MINT_ERROR_HELP:
                    details.append(f"  -> {MINT_ERROR_HELP[code]}")
        elif isinstance(body, dict) and body.get("message"):
            details.append(self.reporter.redact(str(body["message"])))
        else:
            details.append(f"HTTP {status} without a JSON error document")
        claim_lines = describe_claims(claims)
        if claim_lines:
            details.append("the ID token's claims (compare them with the trusted publisher):")
            details.extend("  " + line for line in claim_lines)
        note = reusable_workflow_note(claims)
        if note:
            details.append(note)
        code_text = ", ".join(codes) if codes else f"HTTP {status}"
        msg = f"trusted publishing: {self.base_url} refused to mint a token ({code_text})"
        hint = MINT_ERROR_HELP.get(codes[0]) if codes else None
        return PublishError(msg, details=details,
                            hint=hint or "check the trusted publisher on the index")

    def burn(self) -> None:
        """Step 4: revoke the minted token; failures are only logged (it expires anyway)."""
        if self.minted is None:
            return
        url = f"{self.base_url}/_/oidc/burn-token"
        try:
            resp = self.session.post(url, json={"token": self.minted.token},
                                     timeout=self.timeout)
        except requests.RequestException as err:
            self.reporter.debug(f"trusted publishing: could not revoke the token: "
                                f"{type(err).__name__}")
            return
        if resp.ok:
            self.reporter.debug("trusted publishing: revoked the upload token")
        else:
            self.reporter.debug(f"trusted publishing: revoking the token answered HTTP "
                                f"{resp.status_code} (it expires on its own)")

