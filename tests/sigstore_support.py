"""Sigstore stand-ins for the attestation tests, on 127.0.0.1, in a thread of the test process.

No public Sigstore instance is reachable here, so this module plays each service over its
documented protocol, with real keys and real signatures (``cryptography``):

- an OIDC issuer in GitHub Actions' shape: ``GET /github-oidc?audience=A`` with
  ``Authorization: bearer REQUEST_TOKEN`` -> ``{"value": JWT}`` (ES256, signed by a test key);
- Fulcio: ``POST /api/v2/signingCert`` checks the JWT's signature and audience and the CSR's
  proof of possession, then a test CA issues a ten-minute leaf certificate for the identity,
  with Fulcio's claim extensions and an embedded SCT signed by a test CT log key;
- Rekor (v1 API): ``POST /api/v1/log/entries`` takes a ``dsse`` or ``hashedrekord`` proposed
  entry, checks its signature against the certificate, appends it to an RFC 6962 Merkle tree
  and answers with the entry, its inclusion proof, a signed checkpoint and a signed entry
  timestamp (SET) (the log itself is tests/rekor_support.py);
- :meth:`SigstoreStandIns.trust_config` writes the client trust configuration (trusted root +
  signing config) that points sigstore-python at these services.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import struct
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt as pyjwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.http_support import JsonHandler, ServedInThread
from tests.publish_support import GITHUB_CLAIMS
from tests.rekor_support import TransparencyLog, b64, key_id, spki

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITLAB_ISSUER = "https://gitlab.com"
REQUEST_TOKEN = "ghs_sigstore_request_token_0123456789"
EPOCH = "2020-01-01T00:00:00Z"

# Claims of a release job of octo/demo, as GitHub Actions puts them in its ID tokens.
SIGNING_CLAIMS: dict[str, Any] = {
    **GITHUB_CLAIMS,
    "sub": "repo:octo/demo:environment:pypi",
    "sha": "0123456789abcdef0123456789abcdef01234567",
    "workflow_sha": "0123456789abcdef0123456789abcdef01234567",
    "job_workflow_sha": "0123456789abcdef0123456789abcdef01234567",
    "repository_id": "1001", "repository_visibility": "public",
    "runner_environment": "github-hosted", "run_id": "77", "run_attempt": "1",
}

_OID = "1.3.6.1.4.1.57264.1."
_SCT_LIST_OID = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _der_utf8(text: str) -> bytes:
    raw = text.encode()
    return b"\x0c" + _der_length(len(raw)) + raw


def _der_octets(raw: bytes) -> bytes:
    return b"\x04" + _der_length(len(raw)) + raw


def fulcio_claims(claims: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """(SAN URI, Fulcio extension OID suffix -> value) for a GitHub or GitLab ID token, as
    Fulcio maps them (docs/oid-info.md)."""
    if claims["iss"] == GITHUB_ISSUER:
        gh = "https://github.com/"
        run = f"{gh}{claims['repository']}/actions/runs/{claims.get('run_id', '1')}" \
              f"/attempts/{claims.get('run_attempt', '1')}"
        exts = {"8": claims["iss"], "9": gh + claims["job_workflow_ref"],
                "10": claims.get("job_workflow_sha", ""),
                "11": claims.get("runner_environment", ""),
                "12": gh + claims["repository"], "13": claims.get("sha", ""),
                "14": claims.get("ref", ""), "15": claims.get("repository_id", ""),
                "16": gh + claims["repository_owner"],
                "17": claims.get("repository_owner_id", ""),
                "18": gh + claims["workflow_ref"], "19": claims.get("workflow_sha", ""),
                "20": claims.get("event_name", ""), "21": run,
                "22": claims.get("repository_visibility", "")}
        return gh + claims["job_workflow_ref"], {k: v for k, v in exts.items() if v}
    if claims["iss"] == GITLAB_ISSUER:
        ref = claims.get("ref_path", "")
        exts = {"8": claims["iss"], "9": "https://" + claims["ci_config_ref_uri"],
                "12": "https://gitlab.com/" + claims["project_path"],
                "13": claims.get("sha", ""), "14": ref,
                "18": "https://" + claims["ci_config_ref_uri"]}
        return "https://" + claims["ci_config_ref_uri"], {k: v for k, v in exts.items() if v}
    return claims["sub"], {"8": claims["iss"]}


@dataclass
class StandInState:
    """Keys, the CA, the log, and what the services saw."""

    oidc_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    ca_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    ct_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    claims: dict[str, Any] = field(default_factory=lambda: dict(SIGNING_CLAIMS))
    request_token: str = REQUEST_TOKEN
    on_issue: Callable[[str], None] | None = None
    ca_cert: x509.Certificate | None = None
    certificates_issued: int = 0
    log: TransparencyLog = field(default_factory=TransparencyLog)
    fulcio_down: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        now = dt.datetime.now(dt.UTC)
        name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "hwb-test"),
                          x509.NameAttribute(NameOID.COMMON_NAME, "hwb test fulcio root")])
        pub = self.ca_key.public_key()
        self.ca_cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(pub).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False)
            .sign(self.ca_key, hashes.SHA256()))

    # -- OIDC --------------------------------------------------------------------------------
    def issue_token(self, audience: str, **extra: Any) -> str:
        now = int(time.time())
        claims = {**self.claims, "aud": audience, "iat": now, "nbf": now, "exp": now + 300,
                  "jti": str(uuid.uuid4()), **extra}
        token = pyjwt.encode(claims, self.oidc_key, algorithm="ES256",
                             headers={"kid": "hwb-test"})
        if self.on_issue is not None:
            self.on_issue(token)
        return token

    # -- Fulcio ------------------------------------------------------------------------------
    def signing_cert(self, bearer: str, csr_pem: bytes) -> list[str]:
        """The PEM chain [leaf, root] for a verified token and CSR; ValueError when refused."""
        try:
            claims = pyjwt.decode(bearer, self.oidc_key.public_key(), algorithms=["ES256"],
                                  audience="sigstore")
        except pyjwt.PyJWTError as err:
            raise ValueError(f"invalid identity token: {err}") from err
        csr = x509.load_pem_x509_csr(csr_pem)
        if not csr.is_signature_valid:
            raise ValueError("CSR signature does not prove possession of the key")
        san, exts = fulcio_claims(claims)
        assert self.ca_cert is not None
        now = dt.datetime.now(dt.UTC)
        subject_key = csr.public_key()
        assert isinstance(subject_key, ec.EllipticCurvePublicKey)
        builder = (
            x509.CertificateBuilder().subject_name(x509.Name([]))
            .issuer_name(self.ca_cert.subject).public_key(subject_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(seconds=30))
            .not_valid_after(now + dt.timedelta(minutes=10))
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]),
                           critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                self.ca_key.public_key()), critical=False)
            .add_extension(x509.SubjectAlternativeName(
                [x509.UniformResourceIdentifier(san)]), critical=True))
        for suffix, value in exts.items():
            builder = builder.add_extension(x509.UnrecognizedExtension(
                x509.ObjectIdentifier(_OID + suffix), _der_utf8(value)), critical=False)
        # The SCT signs the precertificate: the TBS certificate without the SCT extension,
        # which is what this builder signs before the extension is added.
        precert = builder.sign(self.ca_key, hashes.SHA256())
        sct = self._sct(precert.tbs_certificate_bytes, now)
        leaf = builder.add_extension(
            x509.UnrecognizedExtension(_SCT_LIST_OID, _der_octets(sct)),
            critical=False).sign(self.ca_key, hashes.SHA256())
        with self.lock:
            self.certificates_issued += 1
        pem = serialization.Encoding.PEM
        return [leaf.public_bytes(pem).decode(), self.ca_cert.public_bytes(pem).decode()]

    def _sct(self, tbs: bytes, now: dt.datetime) -> bytes:
        """An RFC 6962 SignedCertificateTimestampList with one precert SCT."""
        millis = int(now.timestamp() * 1000)
        issuer_key_hash = key_id(self.ca_key.public_key())
        signed = (struct.pack("!BBQH", 0, 0, millis, 1) + issuer_key_hash
                  + len(tbs).to_bytes(3, "big") + tbs + struct.pack("!H", 0))
        signature = self.ct_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        sct = (struct.pack("!B", 0) + key_id(self.ct_key.public_key())
               + struct.pack("!QH", millis, 0)
               + struct.pack("!BBH", 4, 3, len(signature)) + signature)  # SHA256, ECDSA
        one = struct.pack("!H", len(sct)) + sct
        return struct.pack("!H", len(one)) + one



class _Handler(JsonHandler):
    server: _Server

    def do_GET(self) -> None:
        st = self.server.state
        parts = urlsplit(self.path)
        if parts.path == "/github-oidc":
            if self.headers.get("Authorization") != f"bearer {st.request_token}":
                self._json(401, {"message": "bad request token"})
                return
            audience = parse_qs(parts.query).get("audience", ["sigstore"])[0]
            self._json(200, {"value": st.issue_token(audience)})
            return
        self._json(404, {"message": "not found"})

    def do_POST(self) -> None:
        st = self.server.state
        path = urlsplit(self.path).path
        body = self._body()
        if path == "/api/v2/signingCert":
            if st.fulcio_down:
                self._json(503, {"message": "fulcio is down"})
                return
            auth = self.headers.get("Authorization", "")
            try:
                req = json.loads(body)
                csr_pem = base64.b64decode(req["certificateSigningRequest"])
                chain = st.signing_cert(auth.removeprefix("Bearer "), csr_pem)
            except (ValueError, KeyError, TypeError) as err:
                self._json(401 if "token" in str(err) else 400, {"message": str(err)})
                return
            self._json(201, {"signedCertificateEmbeddedSct": {"chain": {"certificates": chain}}})
            return
        if path == "/api/v1/log/entries":
            host = self.headers.get("Host", "rekor.test")
            try:
                entry = st.log.append(json.loads(body), f"{host} - 1")
            except (ValueError, KeyError, TypeError) as err:
                self._json(400, {"code": 400, "message": str(err)})
                return
            self._json(201, entry)
            return
        self._json(404, {"message": "not found"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: StandInState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


class SigstoreStandIns(ServedInThread):
    """OIDC issuer, Fulcio and Rekor on one local port (each under its own paths)."""

    url_suffix = ""

    def __init__(self, **state: Any) -> None:
        self.state = StandInState(**state)
        super().__init__(_Server(self.state))

    def github_env(self) -> dict[str, str]:
        """The variables a GitHub Actions job with ``id-token: write`` has."""
        return {"GITHUB_ACTIONS": "true",
                "ACTIONS_ID_TOKEN_REQUEST_URL": self.url + "/github-oidc",
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN": self.state.request_token}

    def trusted_root(self) -> dict[str, Any]:
        st = self.state
        assert st.ca_cert is not None

        def tlog(key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
            pub = key.public_key()
            return {"baseUrl": self.url, "hashAlgorithm": "SHA2_256",
                    "publicKey": {"rawBytes": b64(spki(pub)),
                                  "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                                  "validFor": {"start": EPOCH}},
                    "logId": {"keyId": b64(key_id(pub))}}

        ca_der = st.ca_cert.public_bytes(serialization.Encoding.DER)
        return {"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
                "tlogs": [tlog(st.log.key)],
                "certificateAuthorities": [{
                    "subject": {"organization": "hwb-test", "commonName": "hwb test fulcio"},
                    "uri": self.url, "certChain": {"certificates": [{"rawBytes": b64(ca_der)}]},
                    "validFor": {"start": EPOCH}}],
                "ctlogs": [tlog(st.ct_key)],
                "timestampAuthorities": []}

    def signing_config(self) -> dict[str, Any]:
        service = {"url": self.url, "majorApiVersion": 1, "validFor": {"start": EPOCH},
                   "operator": "hwb-test"}
        return {"mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
                "caUrls": [service], "oidcUrls": [], "rekorTlogUrls": [service],
                "tsaUrls": [], "rekorTlogConfig": {"selector": "ANY"},
                "tsaConfig": {"selector": "ANY"}}

    def trust_config(self, path: Path) -> Path:
        """Write the client trust configuration for these stand-ins to ``path``."""
        path.write_text(json.dumps({
            "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
            "trustedRoot": self.trusted_root(), "signingConfig": self.signing_config()},
            indent=1), encoding="utf-8")
        return path

