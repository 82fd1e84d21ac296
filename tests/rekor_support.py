"""A Rekor (v1 API) stand-in's log, for tests/sigstore_support.py: an RFC 6962 Merkle tree of
entries, each answered with its inclusion proof, a signed checkpoint and a signed entry
timestamp, as sigstore-python verifies them (``sigstore._internal.merkle``,
``sigstore._internal.rekor.checkpoint``, ``TransparencyLogEntry._verify_set``)."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import rfc8785
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def spki(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def key_id(key: ec.EllipticCurvePublicKey) -> bytes:
    """RFC 6962 key ID: the sha256 of the DER SubjectPublicKeyInfo."""
    return hashlib.sha256(spki(key)).digest()


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
class TransparencyLog:
    """The log: its key, its leaves, and every entry it answered with."""

    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    leaves: list[bytes] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def append(self, proposed: dict[str, Any], origin: str) -> dict[str, Any]:
        """Integrate ``proposed`` and answer as Rekor v1 does; ValueError when refused."""
        body = self._canonical_body(proposed)
        body_b64 = b64(body)
        log_id = key_id(self.key.public_key())
        with self.lock:
            self.leaves.append(hashlib.sha256(b"\x00" + body).digest())
            index = len(self.leaves) - 1
            leaves = list(self.leaves)
        root = _merkle_root(leaves)
        path = _merkle_path(index, leaves)
        integrated = int(time.time())
        note = f"{origin}\n{len(leaves)}\n{b64(root)}\n"
        sig = self.key.sign(note.encode(), ec.ECDSA(hashes.SHA256()))
        # The signature line names the log by its origin's first word (no spaces allowed).
        checkpoint = f"{note}\n\u2014 {origin.split(maxsplit=1)[0]} {b64(log_id[:4] + sig)}\n"
        set_payload = rfc8785.dumps({"body": body_b64, "integratedTime": integrated,
                                     "logID": log_id.hex(), "logIndex": index})
        set_sig = self.key.sign(set_payload, ec.ECDSA(hashes.SHA256()))
        entry = {"body": body_b64, "integratedTime": integrated, "logID": log_id.hex(),
                 "logIndex": index,
                 "verification": {"inclusionProof": {
                     "logIndex": index, "rootHash": root.hex(), "treeSize": len(leaves),
                     "hashes": [h.hex() for h in path], "checkpoint": checkpoint},
                     "signedEntryTimestamp": b64(set_sig)}}
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
            env_hash = hashlib.sha256(env_bytes).hexdigest()
            spec_out: dict[str, Any] = {
                "envelopeHash": {"algorithm": "sha256", "value": env_hash},
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
            try:
                key.verify(base64.b64decode(spec["signature"]["content"]), digest,
                           ec.ECDSA(Prehashed(hashes.SHA256())))
            except InvalidSignature as err:
                raise ValueError("hashedrekord signature does not verify") from err
            return rfc8785.dumps(proposed)
        raise ValueError(f"unsupported entry kind {kind!r}")
