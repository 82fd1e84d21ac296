"""Unit tests of publish: targets, credential order, page parsing and generation."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from hwb_action.ci import NullReporter
from hwb_action.errors import ConfigError, UsageError
from hwb_action.options import PublishOptions, from_settings
from hwb_action.publish import given_by_options, upload_options
from hwb_action.publish.credentials import GivenCredentials, resolve_credentials
from hwb_action.publish.index import parse_project_page
from hwb_action.publish.oidc import describe_claims, reusable_workflow_note
from hwb_action.publish.results import FileResult, UploadOptions, summary_table
from hwb_action.publish.s3index import StoredFile, project_of, project_page, root_page
from hwb_action.publish.target import (
    PYPI_UPLOAD,
    LegacyTarget,
    S3Target,
    index_candidates,
    resolve_target,
)
from hwb_action.settings import resolve


def legacy(value: str) -> LegacyTarget:
    target = resolve_target(value)
    assert isinstance(target, LegacyTarget)
    return target


def test_known_names_and_urls() -> None:
    assert legacy("pypi").upload_url == PYPI_UPLOAD
    assert legacy("PyPI").index_urls == ("https://pypi.org/simple/",)
    assert legacy("testpypi").oidc_base == "https://test.pypi.org"
    assert legacy("https://upload.pypi.org/legacy").is_pypi
    devpi = legacy("http://127.0.0.1:3141/alice/dev/")
    assert devpi.index_urls == ("http://127.0.0.1:3141/alice/dev/simple/",
                                "http://127.0.0.1:3141/alice/dev/+simple/")
    assert index_candidates("https://pypi.example.com/legacy/") == \
        ("https://pypi.example.com/simple/",)


def test_credentials_in_url_are_split_off() -> None:
    target = legacy("https://bob:s3cr%40t@pypi.example.com/upload/")
    assert target.display_url == "https://pypi.example.com/upload/"
    assert (target.url_username, target.url_password) == ("bob", "s3cr@t")


def test_s3_target() -> None:
    target = resolve_target("s3://bucket/a/b/", endpoint_url="http://minio:9000")
    assert isinstance(target, S3Target)
    assert (target.bucket, target.prefix, target.endpoint_url) == ("bucket", "a/b",
                                                                   "http://minio:9000")


@pytest.mark.parametrize("value", ["ftp://x/", "s3://", "", "pypy"])
def test_bad_repository_is_a_usage_error(value: str) -> None:
    with pytest.raises(UsageError) as info:
        resolve_target(value)
    assert info.value.exit_code == 2


def test_bad_repository_hides_password() -> None:
    with pytest.raises(UsageError) as info:
        resolve_target("ftp://u:hunter2pw@host/")
    assert "hunter2pw" not in str(info.value)


ORDER = [
    (GivenCredentials(token="tok-opt"), {"HWB_TOKEN": "tok-env"}, "--token", "__token__"),
    (GivenCredentials(username="u", password="pw-opt"), {"HWB_TOKEN": "tok-env"},
     "--password", "u"),
    (GivenCredentials(), {"HWB_TOKEN": "tok-env", "TWINE_PASSWORD": "twine-pw"}, "HWB_TOKEN",
     "__token__"),
    (GivenCredentials(), {"HWB_USERNAME": "me", "HWB_PASSWORD": "pw-env"}, "HWB_PASSWORD", "me"),
    (GivenCredentials(), {"TWINE_USERNAME": "tu", "TWINE_PASSWORD": "twine-pw"}, "TWINE_PASSWORD",
     "tu"),
    (GivenCredentials(), {"TWINE_PASSWORD": "tw-token"}, "TWINE_PASSWORD", "__token__"),
]


@pytest.mark.parametrize(("given", "environ", "source", "user"), ORDER)
def test_credential_order(given: GivenCredentials, environ: dict[str, str], source: str,
                          user: str) -> None:
    reporter = NullReporter()
    creds = resolve_credentials(legacy("https://idx.example/"), given, environ=environ,
                                reporter=reporter)
    assert (creds.source, creds.username) == (source, user)
    assert reporter.redact(f"x {creds.password} y") == "x *** y"  # masked
    assert creds.password not in repr(creds)


def test_url_password_comes_after_options_before_environment() -> None:
    target = legacy("https://bob:urlpw@idx.example/")
    creds = resolve_credentials(target, GivenCredentials(), environ={"HWB_TOKEN": "tok"},
                                reporter=NullReporter())
    assert (creds.username, creds.password) == ("bob", "urlpw")


def test_no_credentials_outside_ci_lists_the_options() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_credentials(legacy("pypi"), GivenCredentials(), environ={},
                            reporter=NullReporter())
    assert info.value.exit_code == 2
    hint = info.value.hint or ""
    for option in ("--token", "HWB_TOKEN", "TWINE_USERNAME", "id-token: write", "PYPI_ID_TOKEN"):
        assert option in hint


def test_never_mode_does_not_try_oidc() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_credentials(legacy("pypi"), GivenCredentials(), environ={"GITHUB_ACTIONS": "true"},
                            reporter=NullReporter(), mode="never")
    assert "never" in info.value.message


def test_settings_options_exist() -> None:
    settings = resolve("publish", cli={"check-only": True}, environ={"HWB_TOKEN": "t0ken"})
    assert settings["repository"] == "pypi"
    assert settings["skip-existing"] is True
    assert settings["trusted-publishing"] == "auto"
    assert settings["check-only"] is True
    assert settings.origin("token").kind == "env"
    with pytest.raises(UsageError):
        resolve("publish", cli={"trusted-publishing": "sometimes"})


ABC, DEF = "abc" * 21 + "a", "def" * 21 + "d"


def test_parse_html_and_json_pages() -> None:
    html_page = (f'<a href="/packages/demo-1.0.tar.gz#sha256={ABC.upper()}" '
                 'data-requires-python="&gt;=3.9">'
                 'demo-1.0.tar.gz</a><br><a href="../../f/demo-1.0-py3-none-any.whl">'
                 'demo-1.0-py3-none-any.whl</a>')
    files = parse_project_page(html_page, "text/html", "http://h/simple/demo/")
    assert files["demo-1.0.tar.gz"].sha256 == ABC
    assert files["demo-1.0.tar.gz"].url == "http://h/packages/demo-1.0.tar.gz"
    assert files["demo-1.0-py3-none-any.whl"].sha256 is None
    json_page = ('{"files": [{"filename": "demo-1.0.tar.gz", "url": "../x/demo-1.0.tar.gz", '
                 f'"hashes": {{"sha256": "{DEF}"}}}}]}}')
    files = parse_project_page(json_page, "application/vnd.pypi.simple.v1+json",
                               "http://h/+simple/demo/")
    assert files["demo-1.0.tar.gz"].sha256 == DEF
    assert files["demo-1.0.tar.gz"].url == "http://h/+simple/x/demo-1.0.tar.gz"


@pytest.mark.parametrize(("href", "problem"), [
    ("/p/demo-1.0.tar.gz#sha256=abc", "a malformed sha256 'abc'"),
    (f"/p/demo-1.0.tar.gz#sha256={'g' * 64}", "a malformed sha256"),
    (f"/p/demo-1.0.tar.gz#sha256={'a' * 64}%0A::error::x", "a malformed sha256"),
    (f"javascript:alert(1)#sha256={'a' * 64}", "a URL that is not http(s) 'javascript:alert(1)'"),
    (f"file:///etc/passwd#sha256={'a' * 64}", "a URL that is not http(s)"),
])
def test_malformed_values_from_an_index_are_refused(href: str, problem: str) -> None:
    page = f'<a href="{href}">demo-1.0.tar.gz</a>'
    found = parse_project_page(page, "text/html", "http://h/simple/demo/")["demo-1.0.tar.gz"]
    assert found.problem is not None
    assert found.problem.startswith(f"the index gives demo-1.0.tar.gz {problem}")
    if "sha256" in problem:
        assert found.sha256 is None
    else:
        assert found.url == "http://h/simple/demo/"  # the page we asked for, not theirs
    json_page = json.dumps({"files": [{"filename": "x-1.tar.gz", "url": "/x-1.tar.gz",
                                       "hashes": {"sha256": ["not", "a", "string"]}}]})
    [(_, item)] = parse_project_page(json_page, "application/vnd.pypi.simple.v1+json",
                                     "http://h/simple/x/").items()
    assert item.sha256 is None
    assert item.problem is not None


def test_credentials_in_an_index_url_are_dropped() -> None:
    page = f'<a href="https://user:pw@h/p/d-1.tar.gz#sha256={"a" * 64}">d-1.tar.gz</a>'
    found = parse_project_page(page, "text/html", "http://h/simple/d/")["d-1.tar.gz"]
    assert found.url == "https://h/p/d-1.tar.gz"
    assert found.problem is None


def test_generated_pages_parse_back() -> None:
    aa, bb, cc = "a" * 64, "b" * 64, "c" * 64
    stored = [StoredFile(filename="demo-1.0-py3-none-any.whl", project="demo", sha256=aa,
                         requires_python=">=3.9", metadata_sha256=bb),
              StoredFile(filename="demo-1.0.tar.gz", project="demo", sha256=cc,
                         requires_python=None, metadata_sha256=None)]
    page = project_page("demo", stored).decode()
    assert 'data-requires-python="&gt;=3.9"' in page
    assert f'data-dist-info-metadata="sha256={bb}"' in page
    files = parse_project_page(page, "text/html", "http://h/p/simple/demo/")
    assert {f: i.sha256 for f, i in files.items()} == {"demo-1.0-py3-none-any.whl": aa,
                                                       "demo-1.0.tar.gz": cc}
    assert files["demo-1.0.tar.gz"].url == "http://h/p/packages/demo-1.0.tar.gz"
    assert 'href="b-c/"' in root_page(["b-c", "a"]).decode()
    assert project_of("My_Pkg-1.0-py3-none-any.whl") == "my-pkg"
    assert project_of("README.txt") is None


def test_missing_boto3_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    from hwb_action.publish.s3index import S3Publisher

    monkeypatch.setitem(sys.modules, "boto3", None)
    target = resolve_target("s3://bucket/p")
    assert isinstance(target, S3Target)
    with pytest.raises(ConfigError) as info:
        S3Publisher(target, reporter=NullReporter(), options=UploadOptions(),
                    given=GivenCredentials(), environ={})
    assert "hwb-action[s3]" in (info.value.hint or "")


def test_claims_and_reusable_workflow_note() -> None:
    claims = {"repository": "o/r", "workflow_ref": "o/r/.github/workflows/a.yml@refs/tags/v1",
              "job_workflow_ref": "o/shared/.github/workflows/b.yml@main", "ref": "refs/tags/v1",
              "repository_owner": "o"}
    lines = describe_claims(claims)
    assert "repository: o/r" in lines
    assert "ref: refs/tags/v1" in lines
    note = reusable_workflow_note(claims)
    assert note is not None
    assert "o/shared/.github/workflows/b.yml@main" in note
    assert reusable_workflow_note({**claims, "job_workflow_ref": claims["workflow_ref"]}) is None


def test_summary_table() -> None:
    results = [FileResult(filename="a.whl", status="uploaded", url="http://x/a.whl",
                          sha256="0" * 64),
               FileResult(filename="b.tar.gz", status="failed", url="http://x", sha256="1" * 64,
                          error="HTTP 500 | boom")]
    table = summary_table("http://x/", results, check_only=False)
    assert "| `a.whl` | uploaded |" in table
    # the error itself is listed once, in the reporter's table of warnings and errors
    assert "boom" not in table and "| **failed** |" in table
    assert "1 uploaded, 1 failed" in table


def test_options_give_what_the_environment_step_does_not_name() -> None:
    """--token is "given"; HWB_PASSWORD is left to the environment step, which names it."""
    settings = resolve("publish", cli={"token": "cli-token-1234", "jobs": 0},
                       environ={"HWB_PASSWORD": "env-pass-1234", "HWB_USERNAME": "me"})
    options = from_settings(PublishOptions, settings)
    given = given_by_options(options)
    assert (given.token, given.password, given.username) == ("cli-token-1234", "", "me")
    assert given_by_options(PublishOptions(password="api-pass")).password == "api-pass"
    travel = upload_options(options, backoff=0.1)
    assert (travel.jobs, travel.retries, travel.timeout, travel.backoff) == (4, 4, 120, 0.1)


def test_credentials_in_urls_are_masked_in_every_form() -> None:
    from hwb_action.publish.credentials import mask_target

    reporter = NullReporter()
    target = resolve_target("https://pypi-TOKEN-as-user-1@h.example/legacy/",
                            index_url="https://reader:r%2Fpw-2@h.example/simple/")
    assert isinstance(target, LegacyTarget)
    assert target.upload_url == "https://h.example/legacy/"
    mask_target(target, reporter)
    shown = reporter.redact("pypi-TOKEN-as-user-1 r/pw-2 r%2Fpw-2 r%2fpw-2")
    assert shown == "*** *** *** ***"
    s3 = resolve_target("s3://b/p", endpoint_url="https://AKID:s3%2Bsecret@minio.local:9000")
    assert isinstance(s3, S3Target)
    assert s3.endpoint_url == "https://minio.local:9000"
    assert (s3.url_username, s3.url_password) == ("AKID", "s3+secret")
    mask_target(s3, reporter)
    assert reporter.redact("s3+secret s3%2Bsecret") == "*** ***"
    assert "s3+secret" not in repr(s3)


@pytest.mark.parametrize("block", [1, 7, 65536, -1])
def test_multipart_body_streams_exactly_its_length(tmp_path: Path, block: int) -> None:
    import email.parser
    import email.policy

    from hwb_action.publish.multipart import MultipartBody, form_fields

    payload = bytes(range(256)) * 300
    dist = tmp_path / "demo-1.0-py3-none-any.whl"
    dist.write_bytes(payload)
    fields = form_fields({"name": "demo", "classifiers": ["A :: B", "C :: D"],
                          "keywords": ["x", "y z"], "project_urls": {"Home": "https://e.org"},
                          "description": 'quotes " and\r\nlines, ünïcödé'})
    body = MultipartBody(fields, dist, dist.name)
    data = b""
    while chunk := body.read(block):
        data += chunk
    assert len(data) == len(body)
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {body.content_type}\r\n\r\n".encode() + data)
    parts = [(p.get_param("name", header="content-disposition"), p.get_payload(decode=True))
             for p in message.iter_parts()]
    assert parts[:-1] == [
        ("name", b"demo"), ("classifiers", b"A :: B"), ("classifiers", b"C :: D"),
        ("keywords", b"x, y z"), ("project_urls", b"Home, https://e.org"),
        ("description", 'quotes " and\r\nlines, ünïcödé'.encode()),
        (":action", b"file_upload"), ("protocol_version", b"1")]
    assert parts[-1] == ("content", payload)
