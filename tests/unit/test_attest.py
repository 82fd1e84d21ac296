"""Attestation decisions and inputs that need no Sigstore: when to sign, which publisher an
``--identity`` names, and which pre-made attestation files are refused."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from hwb_action import attestation_files
from hwb_action.artifacts import Artifact
from hwb_action.errors import CheckError, ConfigError, UsageError
from hwb_action.publish import attest
from hwb_action.verify import Publisher, load_trusted_root, parse_identity


@pytest.mark.parametrize(("setting", "explicit", "trusted", "expected"), [
    (True, False, True, (True, False, True)),    # default under trusted publishing: sign
    (True, False, False, (False, False, True)),  # default with a token: pre-made only
    (True, True, False, (True, True, True)),     # --attestations: sign, and it must work
    (False, True, True, (False, False, False)),  # --no-attestations: nothing at all
])
def test_plan(setting: bool, explicit: bool, trusted: bool,
              expected: tuple[bool, bool, bool]) -> None:
    got = attest.plan(setting=setting, explicit=explicit, trusted_publishing=trusted)
    assert (got.sign, got.asked, got.upload) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("octo/demo/release.yml", Publisher(kind="github", repository="octo/demo",
                                        workflow="release.yml")),
    ("octo/demo/.github/workflows/release.yaml",
     Publisher(kind="github", repository="octo/demo", workflow="release.yaml")),
    ("https://github.com/octo/demo/.github/workflows/release.yml@refs/tags/v1",
     Publisher(kind="github", repository="octo/demo", workflow="release.yml")),
    ("github:octo/demo/release.yml",
     Publisher(kind="github", repository="octo/demo", workflow="release.yml")),
    ("octo/sub/demo//.gitlab-ci.yml",
     Publisher(kind="gitlab", repository="octo/sub/demo", workflow=".gitlab-ci.yml")),
    ("https://gitlab.com/octo/demo//ci/release.yml@refs/tags/v1",
     Publisher(kind="gitlab", repository="octo/demo", workflow="ci/release.yml")),
])
def test_identity_forms(text: str, expected: Publisher) -> None:
    assert parse_identity(text) == expected


@pytest.mark.parametrize("text", ["octo/demo", "octo/release.yml", "octo/demo/release",
                                  "gitlab:demo//.gitlab-ci.yml", "octo/demo//", ""])
def test_identity_that_names_no_publisher(text: str) -> None:
    with pytest.raises(UsageError, match="--identity") as info:
        parse_identity(text)
    assert info.value.hint is not None
    assert "OWNER/REPO/WORKFLOW.yml" in info.value.hint


def _artifact(tmp_path: Path, filename: str = "demo-1.0-py3-none-any.whl",
              content: bytes = b"wheel bytes") -> Artifact:
    path = tmp_path / filename
    path.write_bytes(content)
    return Artifact(path=path, kind="wheel", filename=filename,
                    sha256=hashlib.sha256(content).hexdigest(), size=len(content), tags=(),
                    name="demo", version="1.0", requires_python=None, metadata=b"")


def _attestation(name: str, sha256: str,
                 predicate: str = attestation_files.PUBLISH_PREDICATE) -> dict[str, object]:
    statement = {"_type": "https://in-toto.io/Statement/v1",
                 "subject": [{"name": name, "digest": {"sha256": sha256}}],
                 "predicateType": predicate, "predicate": None}
    return {"version": 1,
            "verification_material": {"certificate": base64.b64encode(b"cert").decode(),
                                      "transparency_entries": [{}]},
            "envelope": {"statement": base64.b64encode(json.dumps(statement).encode()).decode(),
                         "signature": base64.b64encode(b"sig").decode()}}


def test_premade_attestation_for_the_file_is_taken(tmp_path: Path) -> None:
    art = _artifact(tmp_path)
    doc = _attestation(art.filename, art.sha256)
    attestation_files.premade_path(art.path).write_text(json.dumps(doc))
    assert attest.premade([art]) == {art.filename: doc}


def test_no_premade_attestation_is_no_problem(tmp_path: Path) -> None:
    assert attest.premade([_artifact(tmp_path)]) == {}


def test_premade_attestations_that_do_not_fit_are_all_refused(tmp_path: Path) -> None:
    rebuilt = _artifact(tmp_path, "demo-1.0-py3-none-any.whl")
    other = _artifact(tmp_path, "demo-1.0.tar.gz", b"sdist bytes")
    slsa = _artifact(tmp_path, "demo-1.0-py2-none-any.whl", b"py2")
    broken = _artifact(tmp_path, "demo-1.0-cp311-none-any.whl", b"cp311")
    attestation_files.premade_path(rebuilt.path).write_text(json.dumps(
        _attestation(rebuilt.filename, "0" * 64)))
    attestation_files.premade_path(other.path).write_text(json.dumps(
        _attestation(rebuilt.filename, rebuilt.sha256)))
    attestation_files.premade_path(slsa.path).write_text(json.dumps(
        _attestation(slsa.filename, slsa.sha256, "https://slsa.dev/provenance/v1")))
    attestation_files.premade_path(broken.path).write_text("{not json")
    with pytest.raises(CheckError) as info:
        attest.premade([rebuilt, other, slsa, broken])
    details = "\n".join(info.value.details)
    assert len(info.value.details) == 4
    assert "rebuilt after it was attested" in details
    assert f"it attests '{rebuilt.filename}', not '{other.filename}'" in details
    assert "not a publish attestation" in details
    assert "unreadable" in details


def test_attach_sets_what_twine_sends(tmp_path: Path) -> None:
    class Package:
        attestations: list[dict[str, object]] | None = None

    packages = {"a.whl": Package(), "b.whl": Package()}
    attest.attach(packages, {"a.whl": {"version": 1}})
    assert packages["a.whl"].attestations == [{"version": 1}]
    assert packages["b.whl"].attestations is None


def test_unreadable_trust_configuration_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "trust.json"
    bad.write_text("{}")
    with pytest.raises(ConfigError, match=str(bad)):
        attest.load_trust_config(str(bad))
    with pytest.raises(ConfigError, match=str(bad)):
        load_trusted_root(str(bad))
