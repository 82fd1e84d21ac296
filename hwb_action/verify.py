"""Verify the PEP 740 attestations of local files against an expected trusted publisher.

``hwb check --verify-attestations --identity OWNER/REPO/WORKFLOW.yml`` reads each file's
``DIST.publish.attestation`` and checks, as ``pypi-attestations verify`` does: the Sigstore
bundle (certificate chain to the trusted root, SCT, Rekor inclusion proof, checkpoint and
signed entry timestamp, the DSSE signature), the certificate's claims against the publisher
(issuer, source repository, build config URI), and the statement against the file (one
subject, its name and sha256, a known predicate type).

Identities (``--identity``):

- GitHub Actions: ``OWNER/REPO/WORKFLOW.yml``, ``OWNER/REPO/.github/workflows/WORKFLOW.yml``,
  either after ``https://github.com/`` or ``github:``;
- GitLab CI/CD: ``NAMESPACE/PROJECT//CI_FILE`` (GitLab's own ``//`` between project and
  file), after ``https://gitlab.com/`` or ``gitlab:`` or alone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from hwb_action.attestation_files import PUBLISH_PREDICATE, premade_path
from hwb_action.errors import ConfigError, PublishError, UsageError

if TYPE_CHECKING:
    from sigstore.models import TrustedRoot
    from sigstore.verify import Verifier

IDENTITY_HINT = ("give --identity OWNER/REPO/WORKFLOW.yml (GitHub Actions, e.g. "
                 "octo/demo/release.yml) or NAMESPACE/PROJECT//CI_FILE (GitLab, e.g. "
                 "octo/demo//.gitlab-ci.yml)")
KNOWN_PREDICATES = (PUBLISH_PREDICATE, "https://slsa.dev/provenance/v1")


@dataclass(frozen=True, kw_only=True)
class Publisher:
    """The trusted publisher an attestation must come from."""

    kind: Literal["github", "gitlab"]
    repository: str
    workflow: str

    def describe(self) -> str:
        if self.kind == "github":
            return f"GitHub Actions: {self.repository}, workflow {self.workflow}"
        return f"GitLab CI/CD: {self.repository}, CI file {self.workflow}"

    def policy(self) -> Any:
        """pypi-attestations' own policy for this publisher (a sigstore VerificationPolicy)."""
        from pypi_attestations import GitHubPublisher, GitLabPublisher

        if self.kind == "github":
            return GitHubPublisher(repository=self.repository,
                                   workflow=self.workflow)._as_policy()
        return GitLabPublisher(repository=self.repository,
                               workflow_filepath=self.workflow)._as_policy()


def parse_identity(text: str) -> Publisher:
    """The publisher an ``--identity`` names; :class:`UsageError` when it names none."""
    value = text.strip()
    kind: Literal["github", "gitlab"] | None = None
    for prefix, k in (("https://github.com/", "github"), ("github:", "github"),
                      ("https://gitlab.com/", "gitlab"), ("gitlab:", "gitlab")):
        if value.startswith(prefix):
            value, kind = value.removeprefix(prefix), k  # type: ignore[assignment]
            break
    value = value.split("@", 1)[0]  # a ref (@refs/tags/v1) is not part of the publisher
    if kind is None:
        kind = "gitlab" if "//" in value else "github"
    if kind == "gitlab":
        project, sep, ci_file = value.partition("//")
        if not sep or project.count("/") < 1 or not ci_file or "" in project.split("/"):
            msg = f"--identity {text!r}: a GitLab publisher is NAMESPACE/PROJECT//CI_FILE"
            raise UsageError(msg, hint=IDENTITY_HINT)
        return Publisher(kind="gitlab", repository=project, workflow=ci_file)
    parts = [p for p in value.split("/") if p]
    if len(parts) == 5 and parts[2:4] == [".github", "workflows"]:
        parts = [*parts[:2], parts[4]]
    if len(parts) != 3 or not parts[2].endswith((".yml", ".yaml")):
        msg = f"--identity {text!r}: a GitHub publisher is OWNER/REPO/WORKFLOW.yml"
        raise UsageError(msg, hint=IDENTITY_HINT)
    return Publisher(kind="github", repository=f"{parts[0]}/{parts[1]}", workflow=parts[2])


def load_trusted_root(path: str) -> TrustedRoot:
    """The root of trust: from a client trust configuration or a trusted root file, or
    Sigstore's public-good instance (through TUF) when ``path`` is empty."""
    from sigstore.errors import Error as SigstoreError
    from sigstore.models import ClientTrustConfig, TrustedRoot

    if not path:
        try:
            return ClientTrustConfig.production().trusted_root
        except (SigstoreError, OSError) as err:
            msg = f"could not load Sigstore's trust root: {err}"
            raise PublishError(msg, hint="Sigstore's TUF repository (tuf-repo-cdn.sigstore."
                                         "dev) must be reachable, or give "
                                         "--sigstore-trust-config FILE") from err
    try:
        text = Path(path).read_text(encoding="utf-8")
        if "clienttrustconfig" in str(json.loads(text).get("mediaType", "")):
            return ClientTrustConfig.from_json(text).trusted_root
        return TrustedRoot.from_file(path)
    except (OSError, ValueError, AttributeError, SigstoreError) as err:
        msg = f"sigstore-trust-config: cannot read a trusted root from {path}"
        raise ConfigError(msg, details=[f"{type(err).__name__}: {str(err)[:300]}"],
                          hint="give a client trust configuration or a trusted root JSON "
                               "file") from err


def _same_dist(a: str, b: str) -> bool:
    """Same distribution by its parsed filename (pypi-attestations' rule: not the bytes)."""
    from packaging.utils import parse_sdist_filename, parse_wheel_filename

    def parsed(name: str) -> object:
        return parse_wheel_filename(name) if name.endswith(".whl") else parse_sdist_filename(name)

    try:
        return parsed(a) == parsed(b)
    except ValueError:
        return False


def _build_config(bundle: Any) -> str:
    """The signing certificate's Build Config URI claim (Fulcio OID 1.3.6.1.4.1.57264.1.18)."""
    from cryptography import x509
    from cryptography.hazmat import asn1

    try:
        ext = bundle.signing_certificate.extensions.get_extension_for_oid(
            x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.18"))
        return str(asn1.decode_der(str, ext.value.value))
    except (x509.ExtensionNotFound, ValueError, AttributeError):
        return "(unknown)"


def verify_one(path: Path, attestation: Path, publisher: Publisher,
               verifier: Verifier) -> list[str]:
    """The problems with ``attestation`` as the attestation of ``path`` (none: verified).

    pypi-attestations' ``Attestation.verify`` builds its verifier only from Sigstore's
    production or staging roots; this takes any trusted root and then checks the statement
    as it does."""
    from pydantic import ValidationError
    from pypi_attestations import Attestation, AttestationError, Distribution
    from sigstore.errors import Error as SigstoreError

    try:
        att = Attestation.model_validate_json(attestation.read_bytes())
        bundle = att.to_bundle()
    except (OSError, ValidationError, AttestationError, SigstoreError, ValueError) as err:
        return [f"{attestation.name}: not a readable PEP 740 attestation "
                f"({type(err).__name__}: {str(err)[:200]})"]
    try:
        payload_type, payload = verifier.verify_dsse(bundle, publisher.policy())
    except SigstoreError as err:
        reason = str(err)
        if reason.startswith("Certificate's Build Config URI"):
            # pypi-attestations puts the extension's repr in this message; say it plainly.
            reason = (f"signed by the workflow {_build_config(bundle)}, not by "
                      f"{publisher.describe()}")
        return [f"{attestation.name}: verification failed: {reason}"]
    if payload_type != "application/vnd.in-toto+json":
        return [f"{attestation.name}: expected an in-toto statement, got {payload_type}"]
    try:
        statement = json.loads(payload)
        subjects = statement["subject"]
        predicate = statement["predicateType"]
    except (ValueError, KeyError, TypeError):
        return [f"{attestation.name}: the signed statement is not an in-toto statement"]
    if not isinstance(subjects, list) or len(subjects) != 1:
        return [f"{attestation.name}: the statement must have exactly one subject"]
    subject = subjects[0] if isinstance(subjects[0], dict) else {}
    dist = Distribution.from_file(path)
    problems = []
    if not _same_dist(str(subject.get("name", "")), dist.name):
        problems.append(f"{attestation.name}: it attests {subject.get('name')!r}, "
                        f"not {dist.name!r}")
    if (subject.get("digest") or {}).get("sha256") != dist.digest:
        problems.append(f"{path.name}: its sha256 {dist.digest} is not the attested one: the "
                        "file was changed after it was signed")
    if predicate not in KNOWN_PREDICATES:
        problems.append(f"{attestation.name}: unknown predicate type {predicate!r}")
    return problems


def verify_files(paths: Sequence[Path], publisher: Publisher,
                 trusted_root: TrustedRoot) -> dict[str, list[str]]:
    """filename -> problems (an empty list: its attestation verified) for each of ``paths``."""
    from sigstore.verify import Verifier

    verifier = Verifier(trusted_root=trusted_root)
    results: dict[str, list[str]] = {}
    for path in paths:
        attestation = premade_path(path)
        if not attestation.is_file():
            results[path.name] = [f"{path.name}: no attestation (expected "
                                  f"{attestation.name} beside it)"]
            continue
        results[path.name] = verify_one(path, attestation, publisher, verifier)
    return results
