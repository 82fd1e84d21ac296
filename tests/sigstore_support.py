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
  timestamp (SET);
- :meth:`SigstoreStandIns.trust_config` writes the client trust configuration (trusted root +
  signing config) that points sigstore-python at these services.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import struct
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt as pyjwt
import rfc8785
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.publish_support import GITHUB_CLAIMS

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


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


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


def _spki(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def _key_id(key: ec.EllipticCurvePublicKey) -> bytes:
    return hashlib.sha256(_spki(key)).digest()


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


def _merkle_root(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + _merkle_root(leaves[:k]) + _merkle_root(leaves[k:])).digest()


def _merkle_path(m: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 6962 audit path for leaf ``m``, lowest level first."""
    if len(leaves) <= 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m < k:
        return [*_merkle_path(m, leaves[:k]), _merkle_root(leaves[k:])]
    return [*_merkle_path(m - k, leaves[k:]), _merkle_root(leaves[:k])]


@dataclass
class StandInState:
    """Keys, the CA, the log, and what the services saw."""

    oidc_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    ca_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    ct_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    rekor_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    claims: dict[str, Any] = field(default_factory=lambda: dict(SIGNING_CLAIMS))
    request_token: str = REQUEST_TOKEN
    on_issue: Callable[[str], None] | None = None
    ca_cert: x509.Certificate | None = None
    leaves: list[bytes] = field(default_factory=list)
    certificates_issued: int = 0
    entries: list[dict[str, Any]] = field(default_factory=list)
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
        issuer_key_hash = _key_id(self.ca_key.public_key())
        signed = (struct.pack("!BBQH", 0, 0, millis, 1) + issuer_key_hash
                  + len(tbs).to_bytes(3, "big") + tbs + struct.pack("!H", 0))
        signature = self.ct_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        sct = (struct.pack("!B", 0) + _key_id(self.ct_key.public_key())
               + struct.pack("!QH", millis, 0)
               + struct.pack("!BBH", 4, 3, len(signature)) + signature)  # SHA256, ECDSA
        one = struct.pack("!H", len(sct)) + sct
        return struct.pack("!H", len(one)) + one

    # -- Rekor -------------------------------------------------------------------------------
    def log_entry(self, proposed: dict[str, Any], origin: str) -> dict[str, Any]:
        """Integrate ``proposed`` and answer as Rekor v1 does; ValueError when refused."""
        body = self._canonical_body(proposed)
        body_b64 = _b64(body)
        log_id = _key_id(self.rekor_key.public_key())
        with self.lock:
            self.leaves.append(hashlib.sha256(b"\x00" + body).digest())
            index = len(self.leaves) - 1
            leaves = list(self.leaves)
        root = _merkle_root(leaves)
        path = _merkle_path(index, leaves)
        integrated = int(time.time())
        note = f"{origin}\n{len(leaves)}\n{_b64(root)}\n"
        sig = self.rekor_key.sign(note.encode(), ec.ECDSA(hashes.SHA256()))
        # The signature line names the log by its origin's first word (no spaces allowed).
        checkpoint = f"{note}\n\u2014 {origin.split(maxsplit=1)[0]} {_b64(log_id[:4] + sig)}\n"
        set_payload = rfc8785.dumps({"body": body_b64, "integratedTime": integrated,
                                     "logID": log_id.hex(), "logIndex": index})
        set_sig = self.rekor_key.sign(set_payload, ec.ECDSA(hashes.SHA256()))
        entry = {"body": body_b64, "integratedTime": integrated, "logID": log_id.hex(),
                 "logIndex": index,
                 "verification": {"inclusionProof": {
                     "logIndex": index, "rootHash": root.hex(), "treeSize": len(leaves),
                     "hashes": [h.hex() for h in path], "checkpoint": checkpoint},
                     "signedEntryTimestamp": _b64(set_sig)}}
        with self.lock:
            self.entries.append(entry)
        return {hashlib.sha256(body).hexdigest(): entry}

    def _canonical_body(self, proposed: dict[str, Any]) -> bytes:
        kind = proposed.get("kind")
        spec = proposed.get("spec") or {}
        if kind == "dsse":
            content = spec["proposedContent"]
            envelope = json.loads(content["envelope"])
            cert = x509.load_pem_x509_certificate(base64.b64decode(content["verifiers"][0]))
            payload = base64.b64decode(envelope["payload"])
            ptype = envelope["payloadType"].encode()
            pae = b"DSSEv1 %d %b %d %b" % (len(ptype), ptype, len(payload), payload)
            key = cert.public_key()
            assert isinstance(key, ec.EllipticCurvePublicKey)
            sigs = []
            for s in envelope["signatures"]:
                try:
                    key.verify(base64.b64decode(s["sig"]), pae, ec.ECDSA(hashes.SHA256()))
                except InvalidSignature as err:
                    raise ValueError("DSSE signature does not verify") from err
                sigs.append({"signature": s["sig"], "verifier": content["verifiers"][0]})
            env_bytes = content["envelope"].encode()
            spec_out = {"envelopeHash": {"algorithm": "sha256",
                                         "value": hashlib.sha256(env_bytes).hexdigest()},
                        "payloadHash": {"algorithm": "sha256",
                                        "value": hashlib.sha256(payload).hexdigest()},
                        "signatures": sigs}
            return rfc8785.dumps({"apiVersion": "0.0.1", "kind": "dsse", "spec": spec_out})
        if kind == "hashedrekord":
            cert = x509.load_pem_x509_certificate(
                base64.b64decode(spec["signature"]["publicKey"]["content"]))
            digest = bytes.fromhex(spec["data"]["hash"]["value"])
            key = cert.public_key()
            assert isinstance(key, ec.EllipticCurvePublicKey)
            from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

            try:
                key.verify(base64.b64decode(spec["signature"]["content"]), digest,
                           ec.ECDSA(Prehashed(hashes.SHA256())))
            except InvalidSignature as err:
                raise ValueError("hashedrekord signature does not verify") from err
            return rfc8785.dumps(proposed)
        raise ValueError(f"unsupported entry kind {kind!r}")


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length", "0") or 0)
        return self.rfile.read(length) if length else b""

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
                entry = st.log_entry(json.loads(body), f"{host} - 1")
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


class SigstoreStandIns:
    """OIDC issuer, Fulcio and Rekor on one local port (each under its own paths)."""

    def __init__(self, **state: Any) -> None:
        self.state = StandInState(**state)
        self.server = _Server(self.state)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> SigstoreStandIns:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

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
                    "publicKey": {"rawBytes": _b64(_spki(pub)),
                                  "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                                  "validFor": {"start": EPOCH}},
                    "logId": {"keyId": _b64(_key_id(pub))}}

        ca_der = st.ca_cert.public_bytes(serialization.Encoding.DER)
        return {"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
                "tlogs": [tlog(st.rekor_key)],
                "certificateAuthorities": [{
                    "subject": {"organization": "hwb-test", "commonName": "hwb test fulcio"},
                    "uri": self.url, "certChain": {"certificates": [{"rawBytes": _b64(ca_der)}]},
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


# -- an index that records what each upload sent ---------------------------------------------
@dataclass
class IndexState:
    username: str
    password: str
    files: dict[str, bytes] = field(default_factory=dict)
    uploads: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _form_fields(content_type: str, body: bytes) -> tuple[dict[str, str], tuple[str, bytes]]:
    """The text fields and the (filename, content) of a multipart/form-data upload."""
    import email.parser
    import email.policy

    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    fields: dict[str, str] = {}
    upload = ("", b"")
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        if part.get_filename():
            upload = (str(part.get_filename()), data)
        elif isinstance(name, str):
            fields[name] = data.decode()
    return fields, upload


class _IndexHandler(BaseHTTPRequestHandler):
    server: _IndexServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send(self, status: int, body: bytes, ctype: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        st = self.server.state
        path = urlsplit(self.path).path
        if path.startswith("/files/") and path[7:] in st.files:
            self._send(200, st.files[path[7:]], "application/octet-stream")
            return
        if path.startswith("/simple/"):
            project = path.strip("/").split("/")[-1]
            links = "".join(
                f'<a href="/files/{name}#sha256={hashlib.sha256(data).hexdigest()}">{name}</a>\n'
                for name, data in sorted(st.files.items())
                if name.lower().replace("_", "-").startswith(project + "-"))
            if not links:
                self._send(404, b"not found")
                return
            self._send(200, f"<html><body>\n{links}</body></html>".encode(), "text/html")
            return
        self._send(404, b"not found")

    def do_POST(self) -> None:
        st = self.server.state
        length = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(length)
        expected = "Basic " + base64.b64encode(f"{st.username}:{st.password}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            self._send(403, b"Invalid or non-existent authentication information.")
            return
        fields, (filename, content) = _form_fields(self.headers["Content-Type"], body)
        if fields.get(":action") != "file_upload" or not filename:
            self._send(400, b"not an upload")
            return
        with st.lock:
            if filename in st.files:
                self._send(400, b"File already exists.")
                return
            st.files[filename] = content
            st.uploads.append({"filename": filename, **fields})
        self._send(200, b"OK")


class _IndexServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: IndexState) -> None:
        super().__init__(("127.0.0.1", 0), _IndexHandler)
        self.state = state


class RecordingIndex:
    """A legacy-upload-API index (upload at ``/``, PEP 503 pages at ``/simple/``) that keeps
    every form field of every upload, ``attestations`` among them."""

    def __init__(self, username: str, password: str) -> None:
        self.state = IndexState(username=username, password=password)
        self.server = _IndexServer(self.state)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __enter__(self) -> RecordingIndex:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def attestations(self) -> dict[str, list[dict[str, Any]]]:
        """filename -> the attestations its upload carried (``[]``: the field was absent)."""
        return {u["filename"]: json.loads(u.get("attestations", "[]"))
                for u in self.state.uploads}
