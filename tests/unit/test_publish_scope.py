"""What `hwb publish` takes: the files of one release from dist/, and credentials read from
``.pypirc`` and the ``TWINE_*`` variables only for the repository they name."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwb_action.ci import NullReporter
from hwb_action.errors import ConfigError, UsageError
from hwb_action.publish import collect_dists
from hwb_action.publish.credentials import GivenCredentials, resolve_credentials
from hwb_action.publish.pypirc import choose_repository, read_pypirc, same_repository
from hwb_action.publish.target import PYPI_UPLOAD, LegacyTarget, resolve_target
from tests.cli_support import run_hwb


def make_dist(tmp_path: Path, *names: str) -> Path:
    dist = tmp_path / "dist"
    dist.mkdir(exist_ok=True)
    for name in names:
        (dist / name).write_bytes(b"not checked here")
    return dist


def test_one_release_in_dist_is_taken(tmp_path: Path) -> None:
    make_dist(tmp_path, "demo-1.0.tar.gz", "demo-1.0-py3-none-any.whl",
              "demo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl")
    assert len(collect_dists((), tmp_path)) == 3


def test_old_builds_left_in_dist_are_refused(tmp_path: Path) -> None:
    make_dist(tmp_path, "demo-1.0.tar.gz", "demo-1.0-py3-none-any.whl",
              "demo-1.1.tar.gz", "demo-1.1-py3-none-any.whl")
    with pytest.raises(UsageError) as info:
        collect_dists((), tmp_path)
    err = info.value
    assert err.exit_code == 2
    assert "demo 1.0" in str(err) and "demo 1.1" in str(err)
    assert "clean" in (err.hint or "") and "name the files" in (err.hint or "")


def test_several_projects_in_dist_are_refused(tmp_path: Path) -> None:
    make_dist(tmp_path, "demo-1.0.tar.gz", "other_pkg-1.0-py3-none-any.whl")
    with pytest.raises(UsageError, match=r"demo 1\.0.*other-pkg 1\.0"):
        collect_dists((), tmp_path)


def test_named_files_may_be_several_releases(tmp_path: Path) -> None:
    make_dist(tmp_path, "demo-1.0.tar.gz", "demo-1.1.tar.gz", "other-2.0.tar.gz")
    assert len(collect_dists(("dist",), tmp_path)) == 3
    assert len(collect_dists(("dist/demo-1.0.tar.gz", "dist/demo-1.1.tar.gz"), tmp_path)) == 2


def test_cli_refuses_a_dist_of_several_versions(tmp_path: Path) -> None:
    make_dist(tmp_path, "demo-1.0.tar.gz", "demo-2.0.tar.gz")
    done = run_hwb("publish", "--repository", "http://127.0.0.1:9/", cwd=tmp_path,
                   env={"HWB_TOKEN": "unused"})
    out = done.stdout + done.stderr
    assert done.returncode == 2, out
    assert "demo 1.0" in out and "demo 2.0" in out and "Traceback" not in out


def test_pypirc_is_read_as_twine_reads_it(tmp_path: Path) -> None:
    path = tmp_path / ".pypirc"
    path.write_text("[distutils]\nindex-servers =\n    pypi\n    corp\n    broken\n\n"
                    "[server-login]\nusername = fallback\n\n"
                    "[pypi]\npassword = pypi-token\n\n"
                    "[corp]\nrepository = https://corp.example/upload/\nusername = me\n"
                    "password = corp-pw\n\n[broken]\nusername = x\n\n"
                    "[unlisted]\nrepository = https://unlisted.example/\npassword = y\n")
    sections = read_pypirc(path)
    assert sections["pypi"].repository == PYPI_UPLOAD
    assert (sections["pypi"].username, sections["pypi"].password) == ("fallback", "pypi-token")
    assert (sections["corp"].username, sections["corp"].password) == ("me", "corp-pw")
    assert "testpypi" not in sections  # not in index-servers: twine leaves it out too
    assert "unlisted" not in sections and "broken" not in sections
    assert set(read_pypirc(tmp_path / "missing")) == {"pypi", "testpypi"}


def test_same_repository() -> None:
    assert same_repository("https://Corp.Example/upload", "https://corp.example/upload/")
    assert same_repository("https://u:p@corp.example/upload/", "https://corp.example/upload")
    assert not same_repository("https://corp.example/upload/", "https://corp.example/other/")
    assert not same_repository("https://corp.example/", "http://corp.example/")


def test_choose_repository() -> None:
    sections = read_pypirc(None)
    assert choose_repository("pypi", default=True, environ={}, sections=sections) == (
        "pypi", "--repository")
    url, why = choose_repository("pypi", default=True, sections=sections,
                                 environ={"TWINE_REPOSITORY_URL": "https://a:b@x.example/"})
    assert url == "https://a:b@x.example/" and why == "TWINE_REPOSITORY_URL=https://x.example/"
    # An explicit --repository wins over the environment (which then may not lend its pair).
    assert choose_repository("testpypi", default=False, sections=sections,
                             environ={"TWINE_REPOSITORY": "pypi"})[0] == "testpypi"
    with pytest.raises(ConfigError, match="TWINE_REPOSITORY=corp: no such section"):
        choose_repository("pypi", default=True, sections=sections,
                          environ={"TWINE_REPOSITORY": "corp"})


def target(url: str) -> LegacyTarget:
    found = resolve_target(url)
    assert isinstance(found, LegacyTarget)
    return found


@pytest.mark.parametrize(("environ", "refused"), [
    ({"TWINE_PASSWORD": "pw"}, False),  # names no repository: meant for the target, as in twine
    ({"TWINE_PASSWORD": "pw", "TWINE_REPOSITORY": "pypi"}, False),
    ({"TWINE_PASSWORD": "pw", "TWINE_REPOSITORY_URL": "https://upload.pypi.org/legacy"}, False),
    ({"TWINE_PASSWORD": "pw", "TWINE_REPOSITORY": "testpypi"}, True),
    ({"TWINE_PASSWORD": "pw", "TWINE_REPOSITORY": "nowhere"}, True),
    ({"TWINE_PASSWORD": "pw", "TWINE_REPOSITORY_URL": "https://private.example/"}, True),
])
def test_twine_pair_goes_only_to_its_repository(environ: dict[str, str], refused: bool) -> None:
    def resolve() -> str:
        return resolve_credentials(target("pypi"), GivenCredentials(), environ=environ,
                                   reporter=NullReporter(), mode="never").source

    if not refused:
        assert resolve() == "TWINE_PASSWORD"
        return
    with pytest.raises(ConfigError) as info:
        resolve()
    assert "TWINE_PASSWORD" in str(info.value) and "TWINE_REPOSITORY" in str(info.value)
    assert info.value.exit_code == 2


def test_an_option_credential_makes_the_twine_pair_irrelevant() -> None:
    environ = {"TWINE_PASSWORD": "pw", "TWINE_REPOSITORY_URL": "https://private.example/"}
    creds = resolve_credentials(target("pypi"), GivenCredentials(token="tok"), environ=environ,
                                reporter=NullReporter(), mode="never")
    assert creds.source == "--token"
