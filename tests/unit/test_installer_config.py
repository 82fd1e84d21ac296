"""The user's pip/uv configuration, carried to whichever installer runs, and its digest."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwb_action.builder import installer_config as installer_config_module
from hwb_action.builder.installer_config import installer_config, unreachable_index

HOME = {"HOME": "/nonexistent-home"}


def test_pip_settings_become_uv_options() -> None:
    config = installer_config({**HOME, "PIP_INDEX_URL": "https://u:secret@idx.example/simple",
                               "PIP_EXTRA_INDEX_URL": "https://a/simple https://b/simple",
                               "PIP_FIND_LINKS": "/w1 /w2", "PIP_NO_INDEX": "yes",
                               "PIP_CONSTRAINT": "c.txt", "PIP_PRE": "1",
                               "PIP_CERT": "/ca.pem"}, "uv", cwd=Path("/nowhere"))
    assert config.uv_args == (
        "--index-url", "https://u:secret@idx.example/simple",
        "--extra-index-url", "https://a/simple", "--extra-index-url", "https://b/simple",
        "--find-links", "/w1", "--find-links", "/w2", "--no-index",
        "--constraints", "c.txt", "--prerelease", "allow")
    assert config.environ["SSL_CERT_FILE"] == "/ca.pem"
    assert config.indexes == ("https://idx.example/simple",)  # no credentials


def test_uv_own_settings_win() -> None:
    config = installer_config({**HOME, "PIP_INDEX_URL": "https://pip/simple",
                               "UV_INDEX_URL": "https://uv/simple"}, "uv")
    assert "--index-url" not in config.uv_args


def test_uv_settings_become_pip_variables() -> None:
    config = installer_config({**HOME, "UV_DEFAULT_INDEX": "https://uv/simple",
                               "UV_INDEX": "extra=https://x/simple",
                               "UV_FIND_LINKS": "/w1,/w2", "UV_NO_INDEX": "1",
                               "UV_CONSTRAINT": "c.txt", "SSL_CERT_FILE": "/ca.pem"}, "pip")
    env = config.environ
    assert env["PIP_INDEX_URL"] == "https://uv/simple"
    assert env["PIP_EXTRA_INDEX_URL"] == "https://x/simple"
    assert env["PIP_FIND_LINKS"] == "/w1 /w2"
    assert env["PIP_NO_INDEX"] == "1"
    assert env["PIP_CONSTRAINT"] == "c.txt"
    assert env["PIP_CERT"] == "/ca.pem"
    assert config.uv_args == ()


def test_the_digest_follows_settings_and_file_contents_not_credentials(tmp_path: Path) -> None:
    constraints = tmp_path / "c.txt"
    constraints.write_text("a==1\n")
    base = installer_config(HOME, "uv", cwd=tmp_path).digest
    pinned = installer_config({**HOME, "UV_CONSTRAINT": "c.txt"}, "uv", cwd=tmp_path).digest
    assert pinned != base
    constraints.write_text("a==2\n")
    assert installer_config({**HOME, "UV_CONSTRAINT": "c.txt"}, "uv",
                            cwd=tmp_path).digest != pinned
    one = installer_config({**HOME, "PIP_INDEX_URL": "https://u:one@h/simple"}, "uv").digest
    two = installer_config({**HOME, "PIP_INDEX_URL": "https://u:two@h/simple"}, "uv").digest
    assert one == two != base
    assert installer_config(HOME, "pip").digest != base  # the installer itself counts


def test_unreachable_index_in_installer_output() -> None:
    assert unreachable_index([
        "error: Failed to fetch: `https://user:pw@private.example/simple/demo/`",
        "  Caused by: error sending request"]) == "https://private.example/simple/demo/"
    assert unreachable_index(["No solution found when resolving: demo>=9"]) is None


def test_pip_configuration_files_reach_uv(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # This machine's own /etc/pip.conf stays out of the test.
    monkeypatch.setattr(installer_config_module, "SITE_PIP_FILES", ())
    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nindex-url = https://private.example/simple\n"
                    "[install]\nfind-links =\n    /w1\n    /w2\nno-index = true\n")
    config = installer_config({**HOME, "PIP_CONFIG_FILE": str(conf)}, "uv")
    assert config.uv_args == ("--index-url", "https://private.example/simple",
                              "--find-links", "/w1", "--find-links", "/w2", "--no-index")
    # The variable wins over the file, as in pip; and the file's content is in the key.
    over = installer_config({**HOME, "PIP_CONFIG_FILE": str(conf),
                             "PIP_INDEX_URL": "https://other/simple"}, "uv")
    assert over.uv_args[:2] == ("--index-url", "https://other/simple")
    before = config.digest
    conf.write_text("[global]\nindex-url = https://elsewhere/simple\n")
    assert installer_config({**HOME, "PIP_CONFIG_FILE": str(conf)}, "uv").digest != before
    assert installer_config({**HOME, "PIP_CONFIG_FILE": "/dev/null"}, "uv").uv_args == ()
