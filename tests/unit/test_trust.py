"""The secret-variable policy (a deny-list) and the encoded forms a secret is hidden in."""

from __future__ import annotations

import base64
import json
import re
import urllib.parse

import pytest

from hwb_action.ci import NullReporter
from hwb_action.trust import (
    credential_pair_forms,
    installer_environ,
    is_secret_name,
    register_secrets,
    secret_forms,
    untrusted_environ,
)

SECRET = [
    "HWB_TOKEN", "HWB_PASSWORD", "HWB_USERNAME", "TWINE_PASSWORD", "TWINE_USERNAME",
    "TWINE_REPOSITORY_URL", "UV_PUBLISH_TOKEN", "FLIT_PASSWORD", "HATCH_INDEX_AUTH",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_RUNTIME_TOKEN",
    "PYPI_ID_TOKEN", "SIGSTORE_ID_TOKEN", "TESTPYPI_ID_TOKEN", "GITHUB_TOKEN", "GH_TOKEN",
    "CI_JOB_TOKEN", "CI_JOB_JWT_V2", "CI_REGISTRY_PASSWORD", "GITLAB_TOKEN",
    "GITLAB_PRIVATE_TOKEN", "NODE_AUTH_TOKEN", "NPM_TOKEN", "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AZURE_CLIENT_SECRET", "GPG_PRIVATE_KEY",
    "SIGNING_KEY", "OPENAI_API_KEY", "GOOGLE_APPLICATION_CREDENTIALS", "GH_PAT",
    "NPM_CONFIG__AUTH", "POETRY_PYPI_TOKEN_PYPI", "POETRY_HTTP_BASIC_PYPI_PASSWORD",
    "DOCKER_AUTH_CONFIG", "SSH_AUTH_SOCK", "VAULT_TOKEN", "MY_DB_PASSWD", "TOKEN",
    "hwb_token", "Github_Token",
]
HARMLESS = [
    "PATH", "HOME", "CC", "CFLAGS", "LDFLAGS", "PKG_CONFIG_PATH", "SOURCE_DATE_EPOCH",
    "SETUPTOOLS_SCM_PRETEND_VERSION", "MACOSX_DEPLOYMENT_TARGET", "MY_BUILD_FLAG",
    "PIP_INDEX_URL", "UV_INDEX_URL", "CI", "GITHUB_ACTIONS", "GITHUB_SHA", "GITHUB_REF",
    "CI_COMMIT_SHA", "CIBW_BUILD", "HWB_OUT_DIR", "PYTHONHASHSEED", "TOKENIZERS_PARALLELISM",
    "KEYRING_PROVIDER", "LANG",
]


@pytest.mark.parametrize("name", SECRET)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", HARMLESS)
def test_harmless_names(name: str) -> None:
    assert not is_secret_name(name)


def test_untrusted_and_installer_environments() -> None:
    environ = {"PATH": "/bin", "HWB_TOKEN": "t0ken", "PIP_INDEX_URL": "https://u:p@idx/",
               "PIP_PASSWORD": "pw-for-pip", "UV_INDEX_PRIVATE_PASSWORD": "uv-pw",
               "UV_PUBLISH_TOKEN": "publish", "SSH_AUTH_SOCK": "/run/agent"}
    assert untrusted_environ(environ) == {"PATH": "/bin", "PIP_INDEX_URL": "https://u:p@idx/"}
    # Installers keep their own index credentials and the SSH agent, never a publishing one.
    assert installer_environ(environ) == {
        "PATH": "/bin", "PIP_INDEX_URL": "https://u:p@idx/", "PIP_PASSWORD": "pw-for-pip",
        "UV_INDEX_PRIVATE_PASSWORD": "uv-pw", "SSH_AUTH_SOCK": "/run/agent"}


@pytest.mark.parametrize("secret", ["p@ss w/rd:7f+3a9c", "pypi-AgEIcHlwaS5vcmc", "ab/c+d=="])
@pytest.mark.parametrize("prefix", ["", "a", "ab", "__token__:", "uploader:", "{\"k\": \""])
def test_every_encoding_contains_a_form(secret: str, prefix: str) -> None:
    forms = secret_forms(secret)
    raw = (prefix + secret + "\"}").encode()
    encodings = [
        secret,
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote(secret),
        urllib.parse.quote_plus(secret),
        re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), urllib.parse.quote(secret)),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
    ]
    for text in encodings:
        assert any(form in text for form in forms), text


def test_pair_forms_are_the_basic_auth_header() -> None:
    header = base64.b64encode(b"uploader:s3cret-pw").decode()
    assert header in credential_pair_forms("uploader", "s3cret-pw")


def test_register_secrets_hides_every_form() -> None:
    reporter = NullReporter()
    register_secrets({"TWINE_PASSWORD": "s3cret/pw+x", "CC": "gcc"}, reporter)
    basic = base64.b64encode(b"user:s3cret/pw+x").decode()
    text = json.dumps({"a": "s3cret/pw+x", "b": "s3cret%2Fpw%2Bx", "c": f"Basic {basic}"})
    shown = reporter.redact(text)
    assert "s3cret" not in shown
    assert basic not in shown
    assert reporter.redact("gcc") == "gcc"


def test_untrusted_processes_cannot_write_the_runners_command_files() -> None:
    # A backend that appends to $GITHUB_ENV sets later steps' environment; cibuildwheel
    # rewrites $GITHUB_STEP_SUMMARY whole.  Neither learns where those files are.
    files = {"GITHUB_ENV": "/r/env", "GITHUB_PATH": "/r/path", "GITHUB_OUTPUT": "/r/out",
             "GITHUB_STATE": "/r/state", "GITHUB_STEP_SUMMARY": "/r/summary"}
    environ = {"PATH": "/bin", "GITHUB_ACTIONS": "true", **files}
    assert untrusted_environ(environ) == {"PATH": "/bin", "GITHUB_ACTIONS": "true"}
    assert installer_environ(environ) == {"PATH": "/bin", "GITHUB_ACTIONS": "true"}
