"""PEP 740 publish attestations: find pre-made ones, sign the rest, hand them to the upload.

Each file gets at most one publish attestation, uploaded in the legacy upload API's
``attestations`` form field (a JSON list), as ``twine upload --attestations`` sends it:

- a pre-made ``DIST.publish.attestation`` beside the file (made by another step) is uploaded
  as it is, after a check that its statement names this file and its sha256;
- otherwise, when attestations are on, the file is signed here: the CI's ambient OIDC
  identity for the audience ``sigstore`` (the ``id`` library), a short-lived Fulcio
  certificate and a Rekor entry (``sigstore``), converted to a PEP 740 attestation
  (``pypi_attestations.Attestation.sign``).

Every file is signed before the first upload starts, so a signing failure publishes nothing
and an upload never goes out half-attested.  When attestations are on: ``--attestations``
(asked: an error without an OIDC identity), the default (on under trusted publishing, off
with a token or password), ``--no-attestations`` (none, not even pre-made ones).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hwb_action.artifacts import Artifact
from hwb_action.attestation_files import PUBLISH_PREDICATE, premade_path
from hwb_action.ci import Reporter
from hwb_action.errors import CheckError, ConfigError, PublishError

if TYPE_CHECKING:
    from sigstore.models import ClientTrustConfig



@dataclass(frozen=True, kw_only=True)
class AttestationPlan:
    """What the publish does about attestations, decided before any credential is used."""

    sign: bool
    """Sign the files that have no pre-made attestation."""
    asked: bool
    """The user asked for them explicitly: no OIDC identity is then an error, not a skip."""
    upload: bool
    """Upload attestations at all (``--no-attestations`` turns off pre-made ones too)."""


def plan(*, setting: bool, explicit: bool, trusted_publishing: bool) -> AttestationPlan:
    """On by default under trusted publishing; ``--attestations`` / ``--no-attestations``
    (``explicit``: the value came from a flag, a variable or pyproject.toml) decide otherwise."""
    if explicit:
        return AttestationPlan(sign=setting, asked=setting, upload=setting)
    return AttestationPlan(sign=trusted_publishing, asked=False, upload=True)


def _subject_problem(doc: Any, art: Artifact) -> str | None:
    """Why the attestation ``doc`` is not one for ``art`` (name and sha256), or None."""
    from pydantic import ValidationError
    from pypi_attestations import Attestation

    try:
        att = Attestation.model_validate(doc)
        statement = att.statement
        subjects = statement.get("subject") or []
        subject = subjects[0] if len(subjects) == 1 else {}
        name = subject.get("name")
        digest = (subject.get("digest") or {}).get("sha256")
        predicate = statement.get("predicateType")
    except (ValidationError, ValueError, AttributeError, TypeError) as err:
        return f"not a PEP 740 attestation ({type(err).__name__}: {str(err)[:200]})"
    if name != art.filename:
        return f"it attests {name!r}, not {art.filename!r}"
    if digest != art.sha256:
        return (f"it attests sha256 {digest}, but the file's sha256 is {art.sha256}: the file "
                "was rebuilt after it was attested")
    if predicate != PUBLISH_PREDICATE:
        return f"its predicate type is {predicate!r}, not a publish attestation"
    return None


def premade(artifacts: Sequence[Artifact]) -> dict[str, dict[str, Any]]:
    """The pre-made attestations beside ``artifacts`` (filename -> attestation JSON), each
    checked against its file; every mismatch at once, as a :class:`CheckError`."""
    found: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for art in artifacts:
        path = premade_path(art.path)
        if not path.is_file():
            continue
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as err:
            problems.append(f"{path}: unreadable ({type(err).__name__}: {err})")
            continue
        problem = _subject_problem(doc, art)
        if problem is not None:
            problems.append(f"{path}: {problem}")
            continue
        found[art.filename] = doc
    if problems:
        msg = (f"{len(problems)} pre-made attestation(s) do not match their files; nothing "
               "was published")
        raise CheckError(msg, details=problems,
                         hint="remove the stale .publish.attestation files or attest the "
                              "files again after the last build")
    return found


def load_trust_config(path: str) -> ClientTrustConfig:
    """The Sigstore instance to sign with: a client trust configuration file (trusted root +
    signing config), or Sigstore's public-good instance (through TUF) when ``path`` is empty."""
    from sigstore.errors import Error as SigstoreError
    from sigstore.models import ClientTrustConfig

    if not path:
        try:
            return ClientTrustConfig.production()
        except (SigstoreError, OSError) as err:
            msg = f"attestations: could not load Sigstore's trust root: {err}"
            raise PublishError(msg, hint="Sigstore's TUF repository (tuf-repo-cdn.sigstore.dev) "
                                         "must be reachable, or give "
                                         "--sigstore-trust-config FILE") from err
    try:
        return ClientTrustConfig.from_json(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        msg = f"sigstore-trust-config: cannot read a client trust configuration from {path}"
        raise ConfigError(msg, details=[f"{type(err).__name__}: {str(err)[:300]}"],
                          hint="give a JSON file with mediaType application/vnd.dev.sigstore."
                               "clienttrustconfig.v0.1+json, trustedRoot and signingConfig"
                          ) from err


def _service_urls(config: ClientTrustConfig) -> tuple[str, str]:
    signing = config.signing_config
    return signing.get_fulcio().url, str(getattr(signing.get_tlogs()[0], "url", "Rekor"))


def sign(
    artifacts: Sequence[Artifact],
    *,
    token: str,
    config: ClientTrustConfig,
    reporter: Reporter,
) -> dict[str, dict[str, Any]]:
    """A publish attestation for each of ``artifacts`` (filename -> attestation JSON), signed
    with the OIDC ``token`` (audience ``sigstore``) through the instance in ``config``.  All
    or nothing: any failure raises :class:`PublishError` and no attestation is returned."""
    import requests
    from pypi_attestations import Attestation, AttestationError, Distribution
    from sigstore._internal.fulcio.client import FulcioClientError
    from sigstore._internal.rekor import RekorClientError
    from sigstore.errors import Error as SigstoreError
    from sigstore.oidc import ExpiredIdentity, IdentityError, IdentityToken
    from sigstore.sign import SigningContext

    try:
        identity = IdentityToken(token)
    except IdentityError as err:
        msg = f"attestations: the CI's ID token for 'sigstore' is not usable: {err}"
        raise PublishError(msg, hint="the token must carry aud 'sigstore' and be unexpired; "
                                     "check the CI's ID-token configuration") from err
    fulcio, rekor = _service_urls(config)
    context = SigningContext.from_trust_config(config)
    signed: dict[str, dict[str, Any]] = {}
    step = f"a signing certificate from Fulcio ({fulcio})"
    try:
        with context.signer(identity, cache=True) as signer:
            step = f"a transparency-log entry from Rekor ({rekor})"
            for art in artifacts:
                att = Attestation.sign(signer, Distribution.from_file(art.path))
                signed[art.filename] = json.loads(att.model_dump_json())
                reporter.info(f"attested {art.filename} (identity {identity.identity})")
    except requests.RequestException as err:
        raw = err.request.url if err.request is not None else None
        url = (raw.decode() if isinstance(raw, bytes) else raw) or (
            fulcio if "Fulcio" in step else rekor)
        msg = f"attestations: could not get {step}: {type(err).__name__} at {url}"
        raise PublishError(msg, hint="Sigstore must be reachable from the job; nothing was "
                                     "uploaded (run again, or --no-attestations to publish "
                                     "without provenance)") from err
    # sigstore's client errors are not sigstore.errors.Error; they wrap the HTTP error, which
    # names the URL and status.
    except (FulcioClientError, RekorClientError) as err:
        # The HTTP error they wrap names the status and the URL.
        reason = str(err) or str(err.__cause__ or "") or type(err).__name__
        msg = f"attestations: could not get {step}: {reporter.redact(reason)}"
        raise PublishError(msg, hint="the Sigstore service refused or failed; nothing was "
                                     "uploaded (run again, or --no-attestations to publish "
                                     "without provenance)") from err
    except (ExpiredIdentity, SigstoreError, AttestationError, ValueError, OSError) as err:
        reason = str(err) or type(err).__name__
        msg = f"attestations: could not get {step}: {reporter.redact(reason)}"
        raise PublishError(msg, hint="nothing was uploaded; check the job's ID token (its "
                                     "claims must be an identity Fulcio accepts) and the "
                                     "Sigstore trust configuration") from err
    return signed


def ambient_token(id_token: Callable[[str], str], *, asked: bool) -> str:
    """The CI's ID token for audience ``sigstore`` through ``id_token`` (the trusted
    publisher's, which explains a missing ``id-token: write``, fork pull requests and GitLab's
    ``id_tokens``); the errors are restated as attestation errors."""
    try:
        return id_token("sigstore")
    except PublishError as err:
        reason = err.message.removeprefix("trusted publishing: ")
        how = ("--attestations needs the CI's OIDC identity" if asked else
               "attestations (on by default under trusted publishing) need the CI's OIDC "
               "identity")
        msg = f"{how}: {reason}"
        hint = err.hint or ""
        if "id_tokens" in hint:
            hint = hint.replace("PYPI_ID_TOKEN", "SIGSTORE_ID_TOKEN")
        elif "id-token: write" not in hint:
            hint = (hint + "; " if hint else "") + ("on GitHub Actions grant the job "
                                                    "`permissions: id-token: write`")
        hint += "; or publish without provenance: --no-attestations"
        raise PublishError(msg, details=err.details, hint=hint) from err


def attach(packages: Mapping[str, Any], attestations: Mapping[str, dict[str, Any]]) -> None:
    """Give twine's PackageFiles their attestation: twine sends ``package.attestations`` in
    the ``attestations`` form field (a JSON list), as ``--attestations`` does."""
    for filename, doc in attestations.items():
        packages[filename].attestations = [doc]


def make(
    artifacts: Sequence[Artifact],
    premade_found: Mapping[str, dict[str, Any]],
    plan: AttestationPlan,
    *,
    id_token: Callable[[str], str],
    trust_config: str,
    check_only: bool,
    reporter: Reporter,
) -> dict[str, dict[str, Any]]:
    """The attestation of every file that gets one: pre-made ones, then (``plan.sign``) a new
    one for each other file.  ``check_only`` proves the OIDC identity but signs nothing (a
    Rekor entry is public and permanent)."""
    found = dict(premade_found)
    for filename in found:
        reporter.info(f"pre-made attestation for {filename}")
    to_sign = [a for a in artifacts if a.filename not in found]
    if not plan.sign or not to_sign:
        return found
    try:
        token = ambient_token(id_token, asked=plan.asked)
    except PublishError as err:
        if plan.asked:
            raise
        # On by default, not asked for: a CI that gives no ID token for 'sigstore' (GitLab
        # without `id_tokens: SIGSTORE_ID_TOKEN`) publishes as before, with every file
        # unattested rather than an error that stops the release.
        reporter.warning(f"{err.message}; publishing without attestations. To attest: "
                         f"{err.hint}")
        return found
    if check_only:
        reporter.info(f"would attest {len(to_sign)} file(s) with the CI's OIDC identity")
        return found
    config = load_trust_config(trust_config)
    signed = sign(to_sign, token=token, config=config, reporter=reporter)
    keep(to_sign, signed, reporter)
    return {**found, **signed}


def keep(artifacts: Sequence[Artifact], signed: Mapping[str, dict[str, Any]],
         reporter: Reporter) -> None:
    """Write each new attestation beside its file (``DIST.publish.attestation``), once all are
    signed: the job's artifacts keep their provenance, and a re-run uploads these instead of
    signing (and logging) again.  Each file appears whole (a rename) or not at all; a
    directory that cannot be written is a warning, the upload still carries them."""
    for art in artifacts:
        path = premade_path(art.path)
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            tmp.write_text(json.dumps(signed[art.filename]), encoding="utf-8")
            tmp.replace(path)
        except OSError as err:
            tmp.unlink(missing_ok=True)
            reporter.warning(f"could not keep the attestation of {art.filename} in {path}: "
                             f"{err.strerror or err}")
