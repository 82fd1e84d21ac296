"""PEP 740 attestations end to end, over HTTP: a GitHub ID-token endpoint, PyPI's trusted
publishing endpoints, Fulcio and Rekor stand-ins (tests/sigstore_support.py), and an index
that records the ``attestations`` field; what it received is verified with sigstore and
pypi-attestations against the stand-ins' trusted root."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypi_attestations import Attestation, Distribution
from sigstore.models import ClientTrustConfig
from sigstore.verify import Verifier

from hwb_action import attestation_files
from hwb_action.artifacts import check_files
from hwb_action.ci import NullReporter
from hwb_action.publish import attest
from hwb_action.verify import parse_identity
from tests.cli_support import run_hwb
from tests.index_support import RecordingIndex
from tests.publish_support import GITLAB_CLAIMS, IndexProxy, build_dists
from tests.sigstore_support import REQUEST_TOKEN, SigstoreStandIns

MINTED = "pypi-AgEIcHlwaS5vcmcCJGZha2UtbWludGVkLWZvci1hdHRlc3RhdGlvbnM"
IDENTITY = "octo/demo/release.yml"


@pytest.fixture
def index() -> Iterator[RecordingIndex]:
    with RecordingIndex("__token__", MINTED) as i:
        yield i


@pytest.fixture
def proxy(index: RecordingIndex) -> Iterator[IndexProxy]:
    with IndexProxy(index.url, oidc=True, minted_token=MINTED,
                    request_token=REQUEST_TOKEN) as p:
        yield p


@pytest.fixture
def sigstore(proxy: IndexProxy) -> Iterator[SigstoreStandIns]:
    # The stand-in issues every ID token of the job (audience pypi and sigstore); the PyPI
    # stand-in accepts the ones it issued.
    with SigstoreStandIns(on_issue=proxy.state.issued.add) as s:
        yield s


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return build_dists(tmp_path_factory.mktemp("attest-build") / "dist")


@pytest.fixture
def dists(built: list[Path], tmp_path: Path) -> list[Path]:
    out = tmp_path / "dist"
    out.mkdir()
    return [Path(shutil.copy2(p, out / p.name)) for p in built]


def trust(sigstore: SigstoreStandIns, tmp_path: Path) -> str:
    return str(sigstore.trust_config(tmp_path / "trust-config.json"))


def verify_received(att_doc: dict[str, object], content: bytes, filename: str,
                    sigstore: SigstoreStandIns, tmp_path: Path) -> None:
    """What the index received, verified with sigstore and pypi-attestations directly."""
    config = ClientTrustConfig.from_json((tmp_path / "trust-config.json").read_text())
    att = Attestation.model_validate(att_doc)
    path = tmp_path / "received" / filename
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content)
    dist = Distribution.from_file(path)
    verifier = Verifier(trusted_root=config.trusted_root)
    payload_type, payload = verifier.verify_dsse(att.to_bundle(),
                                                 parse_identity(IDENTITY).policy())
    statement = json.loads(payload)
    assert payload_type == "application/vnd.in-toto+json"
    assert statement["subject"] == [{"name": filename, "digest": {"sha256": dist.digest}}]
    assert statement["predicateType"] == attestation_files.PUBLISH_PREDICATE


def test_trusted_publishing_signs_uploads_and_verifies(
        sigstore: SigstoreStandIns, proxy: IndexProxy, index: RecordingIndex,
        dists: list[Path], tmp_path: Path) -> None:
    env = sigstore.github_env()
    result = run_hwb("publish", "--json", "-r", proxy.url, "--sigstore-trust-config",
                     trust(sigstore, tmp_path), cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert [r["status"] for r in json.loads(result.stdout)["results"]] == ["uploaded"] * 2
    assert proxy.state.mints == 1
    assert "attested " in result.stderr
    # The job's ID tokens (for pypi and for sigstore) never show outside their masks.
    shown = "\n".join(line for line in (result.stdout + result.stderr).splitlines()
                      if not line.startswith("::add-mask::"))
    assert len(proxy.state.issued) == 2
    for jwt in proxy.state.issued:
        assert jwt not in shown
    received = index.attestations()
    assert sorted(received) == sorted(p.name for p in dists)
    for filename, atts in received.items():
        assert len(atts) == 1
        verify_received(atts[0], index.state.files[filename], filename, sigstore, tmp_path)
    # Kept beside the dists too, as uploaded: a re-run uploads them without signing again.
    for path in dists:
        assert [json.loads(attestation_files.premade_path(path).read_text())] == received[path.name]
    # One short-lived certificate for the job, one log entry per file.
    assert sigstore.state.certificates_issued == 1
    assert len(sigstore.state.log.entries) == 2
    again = run_hwb("publish", "--json", "-r", proxy.url, "--sigstore-trust-config",
                    trust(sigstore, tmp_path), cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    assert [r["status"] for r in json.loads(again.stdout)["results"]] == ["skipped"] * 2
    assert sigstore.state.certificates_issued == 1
    # and `hwb check --verify-attestations` agrees, on the files the index holds
    out = tmp_path / "received"
    for filename, atts in received.items():
        (out / (filename + ".publish.attestation")).write_text(json.dumps(atts[0]))
    check = run_hwb("check", "--json", "--verify-attestations", "--identity", IDENTITY,
                    "--sigstore-trust-config", trust(sigstore, tmp_path), str(out),
                    cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert json.loads(check.stdout)["attestations"] == {name: True for name in received}


def _attested_copy(sigstore: SigstoreStandIns, dists: list[Path], tmp_path: Path) -> list[Path]:
    """``dists`` with pre-made attestations beside them, made with the library API."""
    arts = check_files(dists).artifacts
    config = ClientTrustConfig.from_json(Path(trust(sigstore, tmp_path)).read_text())
    made = attest.sign(arts, token=sigstore.state.issue_token("sigstore"), config=config,
                       reporter=NullReporter())
    for art in arts:
        attestation_files.premade_path(art.path).write_text(json.dumps(made[art.filename]))
    return dists


def test_tampered_file_fails_verification(sigstore: SigstoreStandIns, dists: list[Path],
                                          tmp_path: Path) -> None:
    _attested_copy(sigstore, dists, tmp_path)
    args = ("check", "--json", "--verify-attestations", "--identity", IDENTITY,
            "--sigstore-trust-config", trust(sigstore, tmp_path), "dist")
    assert run_hwb(*args, cwd=tmp_path).returncode == 0
    # The attacker swaps the sdist for one with other contents but keeps its attestation.
    sdist = next(p for p in dists if p.name.endswith(".tar.gz"))
    wheel = next(p for p in dists if p.name.endswith(".whl"))
    other = build_dists(tmp_path / "other", value="evil")
    shutil.copy2(next(p for p in other if p.name.endswith(".tar.gz")), sdist)
    result = run_hwb(*args, cwd=tmp_path)
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert doc["attestations"] == {sdist.name: False, wheel.name: True}
    assert "changed after it was signed" in " ".join(doc["problems"][sdist.name])


def test_attestation_from_another_publisher_fails(sigstore: SigstoreStandIns,
                                                  dists: list[Path], tmp_path: Path) -> None:
    _attested_copy(sigstore, dists, tmp_path)
    result = run_hwb("check", "--verify-attestations", "--identity",
                     "octo/demo/other-workflow.yml", "--sigstore-trust-config",
                     trust(sigstore, tmp_path), cwd=tmp_path)
    assert result.returncode == 1
    assert ("signed by the workflow https://github.com/octo/demo/.github/workflows/"
            "release.yml@refs/tags/v1, not by GitHub Actions: octo/demo, workflow "
            "other-workflow.yml") in result.stderr
    # A trust root that did not issue the certificate verifies nothing either.
    with SigstoreStandIns() as stranger:
        foreign = stranger.trust_config(tmp_path / "foreign.json")
        result = run_hwb("check", "--verify-attestations", "--identity", IDENTITY,
                         "--sigstore-trust-config", str(foreign), cwd=tmp_path)
    assert result.returncode == 1
    assert "verification failed" in result.stderr


def test_premade_attestations_are_uploaded_with_their_files(
        sigstore: SigstoreStandIns, index: RecordingIndex, dists: list[Path],
        tmp_path: Path) -> None:
    _attested_copy(sigstore, dists, tmp_path)
    issued = sigstore.state.certificates_issued
    # A token, no CI: nothing is signed here, the files' own attestations go with them.
    result = run_hwb("publish", "--json", "-r", index.url, cwd=tmp_path,
                     env={"HWB_TOKEN": MINTED})
    assert result.returncode == 0, result.stderr
    received = index.attestations()
    for path in dists:
        expected = json.loads(attestation_files.premade_path(path).read_text())
        assert received[path.name] == [expected]
    assert sigstore.state.certificates_issued == issued


def test_stale_premade_attestation_stops_before_any_upload(
        sigstore: SigstoreStandIns, index: RecordingIndex, dists: list[Path],
        tmp_path: Path) -> None:
    _attested_copy(sigstore, dists, tmp_path)
    wheel = next(p for p in dists if p.name.endswith(".whl"))
    sdist = next(p for p in dists if p.name.endswith(".tar.gz"))
    # The sdist's attestation is copied over the wheel's: it attests another file.
    shutil.copy2(attestation_files.premade_path(sdist), attestation_files.premade_path(wheel))
    result = run_hwb("publish", "-r", index.url, cwd=tmp_path, env={"HWB_TOKEN": MINTED})
    assert result.returncode == 1
    assert f"it attests '{sdist.name}', not '{wheel.name}'" in result.stderr
    assert index.state.uploads == []


def test_token_publish_signs_nothing_unless_asked(
        sigstore: SigstoreStandIns, index: RecordingIndex, dists: list[Path],
        tmp_path: Path) -> None:
    env = {**sigstore.github_env(), "HWB_TOKEN": MINTED}
    result = run_hwb("publish", "-r", index.url, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert index.attestations() == {p.name: [] for p in dists}
    assert sigstore.state.certificates_issued == 0


def test_asked_with_a_token_signs_with_the_ci_identity(
        sigstore: SigstoreStandIns, index: RecordingIndex, dists: list[Path],
        tmp_path: Path) -> None:
    env = {**sigstore.github_env(), "HWB_TOKEN": MINTED}
    result = run_hwb("publish", "--attestations", "-r", index.url, "--sigstore-trust-config",
                     trust(sigstore, tmp_path), cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert all(len(atts) == 1 for atts in index.attestations().values())


def test_missing_id_token_permission_is_explained(index: RecordingIndex, dists: list[Path],
                                                  tmp_path: Path) -> None:
    # A GitHub job without `permissions: id-token: write` has no ACTIONS_ID_TOKEN_* variables.
    env = {"GITHUB_ACTIONS": "true", "HWB_TOKEN": MINTED}
    result = run_hwb("publish", "--attestations", "-r", index.url, cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "--attestations needs the CI's OIDC identity" in result.stderr
    assert "id-token: write" in result.stderr
    assert index.state.uploads == []


def test_no_oidc_identity_at_all_is_a_clear_error(index: RecordingIndex, dists: list[Path],
                                                  tmp_path: Path) -> None:
    result = run_hwb("publish", "--attestations", "-r", index.url, cwd=tmp_path,
                     env={"HWB_TOKEN": MINTED})
    assert result.returncode == 1
    assert "offers no OIDC ID token" in result.stderr
    assert "id-token: write" in result.stderr
    assert index.state.uploads == []


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sigstore_unreachable_names_the_url_and_uploads_nothing(
        sigstore: SigstoreStandIns, proxy: IndexProxy, index: RecordingIndex,
        dists: list[Path], tmp_path: Path) -> None:
    port = _closed_port()
    config = json.loads(Path(trust(sigstore, tmp_path)).read_text())
    for service in config["signingConfig"]["caUrls"]:
        service["url"] = f"http://127.0.0.1:{port}"
    down = tmp_path / "down.json"
    down.write_text(json.dumps(config))
    result = run_hwb("publish", "-r", proxy.url, "--sigstore-trust-config", str(down),
                     cwd=tmp_path, env=sigstore.github_env())
    assert result.returncode == 1
    assert f"Fulcio (http://127.0.0.1:{port})" in result.stderr
    assert f"http://127.0.0.1:{port}/api/v2/signingCert" in result.stderr
    assert index.state.uploads == []
    # A Fulcio that answers 503: explained with its status, nothing uploaded.
    sigstore.state.fulcio_down = True
    result = run_hwb("publish", "-r", proxy.url, "--sigstore-trust-config",
                     trust(sigstore, tmp_path), cwd=tmp_path, env=sigstore.github_env())
    assert result.returncode == 1
    assert (f"could not get a signing certificate from Fulcio ({sigstore.url}): 503 Server "
            f"Error: Service Unavailable for url: {sigstore.url}/api/v2/signingCert"
            ) in result.stderr
    assert index.state.uploads == []


def test_no_attestations_turns_signing_off(sigstore: SigstoreStandIns, proxy: IndexProxy,
                                           index: RecordingIndex, dists: list[Path],
                                           tmp_path: Path) -> None:
    _attested_copy(sigstore, dists, tmp_path)
    issued = sigstore.state.certificates_issued
    result = run_hwb("publish", "--no-attestations", "-r", proxy.url, cwd=tmp_path,
                     env=sigstore.github_env())
    assert result.returncode == 0, result.stderr
    assert index.attestations() == {p.name: [] for p in dists}  # not even pre-made ones
    assert sigstore.state.certificates_issued == issued


def test_verify_without_identity_is_a_usage_error(dists: list[Path], tmp_path: Path) -> None:
    result = run_hwb("check", "--verify-attestations", cwd=tmp_path)
    assert result.returncode == 2
    assert "--identity" in result.stderr


def test_gitlab_publish_attests_for_the_project_and_ci_file(
        sigstore: SigstoreStandIns, proxy: IndexProxy, index: RecordingIndex,
        dists: list[Path], tmp_path: Path) -> None:
    # GitLab hands out its ID tokens as variables, one per audience the job declares.
    sigstore.state.claims = {**GITLAB_CLAIMS, "sha": "89abcdef" * 5}
    env = {"GITLAB_CI": "true", "PYPI_ID_TOKEN": sigstore.state.issue_token("pypi"),
           "SIGSTORE_ID_TOKEN": sigstore.state.issue_token("sigstore")}
    result = run_hwb("publish", "-r", proxy.url, "--sigstore-trust-config",
                     trust(sigstore, tmp_path), cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    for filename, atts in index.attestations().items():
        (tmp_path / "dist" / (filename + ".publish.attestation")).write_text(
            json.dumps(atts[0]))
    args = ("check", "--json", "--verify-attestations", "--sigstore-trust-config",
            trust(sigstore, tmp_path), "--identity")
    ok = run_hwb(*args, "octo/demo//.gitlab-ci.yml", cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert set(json.loads(ok.stdout)["attestations"].values()) == {True}
    # the same repository on GitHub is another publisher
    assert run_hwb(*args, "octo/demo/release.yml", cwd=tmp_path).returncode == 1


def test_gitlab_job_without_a_sigstore_token_publishes_unattested_with_a_warning(
        sigstore: SigstoreStandIns, proxy: IndexProxy, index: RecordingIndex,
        dists: list[Path], tmp_path: Path) -> None:
    sigstore.state.claims = dict(GITLAB_CLAIMS)
    env = {"GITLAB_CI": "true", "PYPI_ID_TOKEN": sigstore.state.issue_token("pypi")}
    result = run_hwb("publish", "-r", proxy.url, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "publishing without attestations" in result.stderr
    assert "SIGSTORE_ID_TOKEN: { aud: sigstore }" in result.stderr
    assert index.attestations() == {p.name: [] for p in dists}
    # Asked for explicitly, the same job stops before any upload.
    index.state.uploads.clear()
    index.state.files.clear()
    env["PYPI_ID_TOKEN"] = sigstore.state.issue_token("pypi")
    asked = run_hwb("publish", "--attestations", "-r", proxy.url, cwd=tmp_path, env=env)
    assert asked.returncode == 1
    assert "SIGSTORE_ID_TOKEN" in asked.stderr
    assert index.state.uploads == []


def test_statement_edited_to_fit_a_swapped_file_fails(sigstore: SigstoreStandIns,
                                                      dists: list[Path],
                                                      tmp_path: Path) -> None:
    # The attack: swap the wheel, then rewrite its attestation's statement to name the new
    # file's sha256, keeping the certificate, the signature and the log entry.
    _attested_copy(sigstore, dists, tmp_path)
    wheel = next(p for p in dists if p.name.endswith(".whl"))
    other = build_dists(tmp_path / "other", value="evil")
    shutil.copy2(next(p for p in other if p.name.endswith(".whl")), wheel)
    path = attestation_files.premade_path(wheel)
    doc = json.loads(path.read_text())
    statement = json.loads(base64.b64decode(doc["envelope"]["statement"]))
    statement["subject"][0]["digest"]["sha256"] = hashlib.sha256(wheel.read_bytes()).hexdigest()
    doc["envelope"]["statement"] = base64.b64encode(json.dumps(statement).encode()).decode()
    path.write_text(json.dumps(doc))
    result = run_hwb("check", "--json", "--verify-attestations", "--identity", IDENTITY,
                     "--sigstore-trust-config", trust(sigstore, tmp_path), str(wheel),
                     cwd=tmp_path)
    assert result.returncode == 1
    problems = " ".join(json.loads(result.stdout)["problems"][wheel.name])
    assert "verification failed" in problems
    assert "signature" in problems.lower() or "log entry" in problems


def test_check_run_proves_the_identity_but_signs_nothing(
        sigstore: SigstoreStandIns, proxy: IndexProxy, index: RecordingIndex,
        dists: list[Path], tmp_path: Path) -> None:
    result = run_hwb("publish", "--check", "-r", proxy.url, "--sigstore-trust-config",
                     trust(sigstore, tmp_path), cwd=tmp_path, env=sigstore.github_env())
    assert result.returncode == 0, result.stderr
    assert "would attest 2 file(s)" in result.stderr
    assert len(proxy.state.issued) == 2  # the pypi and the sigstore ID token
    assert sigstore.state.certificates_issued == 0
    assert sigstore.state.log.entries == []  # nothing public and permanent in a dry run
    assert index.state.uploads == []
