"""hwb publish to a static PEP 503 index in S3 (moto_server), then pip installs from it."""

from __future__ import annotations

import hashlib
import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli_support import run_hwb
from tests.publish_support import MotoServer, build_dists, pip_install, running

BUCKET = "wheelhouse"
PREFIX = "team/index"
AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
       "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture
def moto(tmp_path: Path) -> Iterator[MotoServer]:
    for server in running(MotoServer(tmp_path)):
        server.client().create_bucket(Bucket=BUCKET)
        yield server


def publish_s3(moto: MotoServer, files: list[Path], cwd: Path, *extra: str
               ) -> tuple[int, dict[str, Any], str]:
    result = run_hwb("publish", "--json", "-r", f"s3://{BUCKET}/{PREFIX}", "--endpoint-url",
                     moto.url, "--s3-acl", "public-read", *extra, *map(str, files), cwd=cwd,
                     env=AWS)
    doc = json.loads(result.stdout) if result.stdout.strip() else {}
    return result.returncode, doc, result.stderr


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return str(resp.read().decode())


def test_two_versions_then_pip_install(moto: MotoServer, tmp_path: Path) -> None:
    v1 = build_dists(tmp_path / "v1", "0.1.0", value="one")
    v2 = build_dists(tmp_path / "v2", "0.2.0", value="two")
    code, doc, err = publish_s3(moto, v1, tmp_path)
    assert code == 0, err
    assert doc["repository"] == f"s3://{BUCKET}/{PREFIX}"
    code, doc, err = publish_s3(moto, v2, tmp_path)
    assert code == 0, err
    assert [r["status"] for r in doc["results"]] == ["uploaded", "uploaded"]

    simple = f"{moto.url}/{BUCKET}/{PREFIX}/simple/"
    # the pages list exactly what the bucket holds
    client = moto.client()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix=PREFIX + "/packages/")
            ["Contents"]]
    held = sorted(k.rsplit("/", 1)[1] for k in keys if not k.endswith(".metadata"))
    assert held == sorted(p.name for p in v1 + v2)
    page = fetch(simple + "hwb-publish-demo/")
    listed = sorted(re.findall(r">([^<]+)</a>", page))
    assert listed == held
    for path in v1 + v2:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert f"{path.name}#sha256={digest}" in page
    assert 'data-requires-python="&gt;=3.9"' in page
    wheel = v2[1].name
    metadata = fetch(f"{moto.url}/{BUCKET}/{PREFIX}/packages/{wheel}.metadata")
    assert "Version: 0.2.0" in metadata
    meta_hash = hashlib.sha256(metadata.encode()).hexdigest()
    assert f'data-core-metadata="sha256={meta_hash}"' in page
    root = fetch(simple)
    assert re.findall(r">([^<]+)</a>", root) == ["hwb-publish-demo"]

    latest = pip_install(simple, "hwb-publish-demo", tmp_path / "latest")
    assert latest.returncode == 0, latest.stdout + latest.stderr
    assert "two" in (tmp_path / "latest" / "hwb_publish_demo" / "__init__.py").read_text()
    pinned = pip_install(simple, "hwb-publish-demo==0.1.0", tmp_path / "pinned")
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr
    assert "one" in (tmp_path / "pinned" / "hwb_publish_demo" / "__init__.py").read_text()

    # re-run: skipped; the same names with other bytes: an error naming both hashes
    code, doc, err = publish_s3(moto, v2, tmp_path)
    assert code == 0, err
    assert {r["status"] for r in doc["results"]} == {"skipped"}
    clash = build_dists(tmp_path / "clash", "0.2.0", value="other")
    code, doc, err = publish_s3(moto, clash, tmp_path)
    assert code == 1
    errors = [r["error"] for r in doc["results"]]
    assert hashlib.sha256(v2[0].read_bytes()).hexdigest() in errors[0]
    assert fetch(simple + "hwb-publish-demo/") == page


def test_rerun_repairs_pages_a_failed_run_left_behind(moto: MotoServer, tmp_path: Path) -> None:
    v1 = build_dists(tmp_path / "v1", "0.1.0")
    code, _, err = publish_s3(moto, v1, tmp_path)
    assert code == 0, err
    client = moto.client()
    page_keys = [f"{PREFIX}/simple/hwb-publish-demo/", f"{PREFIX}/simple/hwb-publish-demo/"
                 "index.html", f"{PREFIX}/simple/", f"{PREFIX}/simple/index.html"]
    pages = {k: client.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in page_keys}
    # A run that stored the files but died before writing the pages leaves this behind.
    for key in page_keys:
        client.delete_object(Bucket=BUCKET, Key=key)
    code, doc, err = publish_s3(moto, v1, tmp_path)
    assert code == 0, err
    assert {r["status"] for r in doc["results"]} == {"skipped"}
    assert {k: client.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in page_keys} \
        == pages
    assert "index pages regenerated" in err
    # Nothing missing: a further re-run writes no page.
    code, _, err = publish_s3(moto, v1, tmp_path)
    assert code == 0, err
    assert "index pages regenerated" not in err


def test_action_style_username_and_password_variables(moto: MotoServer, tmp_path: Path) -> None:
    """The action hands its username/password inputs over as HWB_USERNAME/HWB_PASSWORD."""
    files = build_dists(tmp_path / "d")
    secret = "s3-secret-key-value-0451"
    result = run_hwb("publish", "--json", "-r", f"s3://{BUCKET}/env", "--endpoint-url", moto.url,
                     *map(str, files), cwd=tmp_path,
                     env={"HWB_USERNAME": "AKIDEXAMPLE", "HWB_PASSWORD": secret,
                          "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
                          "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
                          "AWS_CONFIG_FILE": str(tmp_path / "none")})
    assert result.returncode == 0, result.stderr
    assert {r["status"] for r in json.loads(result.stdout)["results"]} == {"uploaded"}
    assert secret not in result.stdout + result.stderr


def test_missing_bucket_is_explained(moto: MotoServer, tmp_path: Path) -> None:
    files = build_dists(tmp_path / "d")
    result = run_hwb("publish", "-r", "s3://no-such-bucket/x", "--endpoint-url", moto.url,
                     *map(str, files), cwd=tmp_path, env=AWS)
    assert result.returncode == 1
    assert "NoSuchBucket" in result.stderr
