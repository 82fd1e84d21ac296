"""`hwb build` end to end: real backends, real environments, the CLI as users run it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.cli_support import run_hwb
from tests.conftest import PACKAGES

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hwb-cache")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copy_package(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(PACKAGES / name, dest)
    return dest


@pytest.mark.slow
@pytest.mark.parametrize(
    ("package", "dist_name", "version"),
    [
        ("st_pyproject", "st_pyproject", "1.2.0"),
        ("legacy_setup_py", "legacy_pkg", "0.3.1"),
        ("hatch_pkg", "hatch_pkg", "2.0.0"),
        ("flit_pkg", "flit_pkg", "0.5.0"),
        ("pdm_pkg", "pdm_pkg", "0.9.0"),
    ],
)
def test_build_pure_backends(package: str, dist_name: str, version: str, tmp_path: Path,
                             cache_dir: Path) -> None:
    project = copy_package(package, tmp_path)
    proc = run_hwb("build", "--json", cwd=project, cache=cache_dir)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    kinds = sorted(a["kind"] for a in data["artifacts"])
    assert kinds == ["sdist", "wheel"]
    dist = project / "dist"
    sdist = dist / f"{dist_name}-{version}.tar.gz"
    (wheel,) = dist.glob(f"{dist_name}-{version}-*.whl")
    assert sdist.is_file()
    for art in data["artifacts"]:
        path = Path(art["path"])
        assert art["sha256"] == sha256(path)
        assert art["size"] == path.stat().st_size
        assert set(art) == {"path", "kind", "filename", "sha256", "size", "tags"}
    wheel_art = next(a for a in data["artifacts"] if a["kind"] == "wheel")
    assert "py3-none-any" in wheel_art["tags"]
    sums = (dist / "SHA256SUMS").read_text().splitlines()
    assert sorted(sums) == sorted(f"{sha256(p)}  {p.name}" for p in (sdist, wheel))
    # Nothing but the artifacts and the checksums: no staging leftovers.
    assert sorted(p.name for p in dist.iterdir()) == sorted([sdist.name, wheel.name, "SHA256SUMS"])


@pytest.mark.slow
def test_wheel_is_built_from_the_sdist(tmp_path: Path, cache_dir: Path) -> None:
    project = copy_package("hatch_pkg", tmp_path)
    proc = run_hwb("build", cwd=project, cache=cache_dir)
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(project / "dist" / "hatch_pkg-2.0.0-py3-none-any.whl") as zf:
        names = zf.namelist()
    assert "hatch_pkg/__init__.py" in names
    # The sdist excludes this file, so a wheel built from the sdist cannot hold it.
    assert "hatch_pkg/not_in_sdist.py" not in names
    # --wheel alone builds straight from the tree, as build and uv do: the file is there.
    proc = run_hwb("build", "--wheel", "-o", "wheel-only", cwd=project, cache=cache_dir)
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(project / "wheel-only" / "hatch_pkg-2.0.0-py3-none-any.whl") as zf:
        assert "hatch_pkg/not_in_sdist.py" in zf.namelist()
    assert not list((project / "wheel-only").glob("*.tar.gz"))


@pytest.mark.slow
def test_sdist_only_and_sdist_source(tmp_path: Path, cache_dir: Path) -> None:
    project = copy_package("hatch_pkg", tmp_path)
    proc = run_hwb("build", "--sdist", "-o", str(tmp_path / "s"), cwd=project, cache=cache_dir)
    assert proc.returncode == 0, proc.stderr
    (sdist,) = (tmp_path / "s").glob("*.tar.gz")
    assert not list((tmp_path / "s").glob("*.whl"))
    proc = run_hwb("build", str(sdist), "-o", str(tmp_path / "w"), "--json", cwd=tmp_path,
                   cache=cache_dir)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [a["kind"] for a in data["artifacts"]] == ["wheel"]
    assert data["source"]["kind"] == "sdist"


@pytest.mark.slow
def test_setuptools_c_extension_is_binary(tmp_path: Path, cache_dir: Path) -> None:
    project = copy_package("cext_setuptools", tmp_path)
    proc = run_hwb("build", "--json", "--isolation", "uv", cwd=project, cache=cache_dir)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["project"]["pure"] is False
    wheel = next(a for a in data["artifacts"] if a["kind"] == "wheel")
    tag = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    assert all(t.startswith(f"{tag}-{tag}-") for t in wheel["tags"])
    assert "none-any" not in wheel["filename"]
    with zipfile.ZipFile(wheel["path"]) as zf:
        assert any(n.startswith("cext_setuptools/_speed") and n.endswith(".so")
                   for n in zf.namelist())


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
           "GIT_AUTHOR_DATE": "2024-05-01T12:00:00Z", "GIT_COMMITTER_DATE": "2024-05-01T12:00:00Z"}
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    repo = tmp_path / "monorepo"
    repo.mkdir()
    shutil.copytree(PACKAGES / "hatch_pkg", repo / "packages" / "hatch_pkg")
    (repo / "README.md").write_text("monorepo\n")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "initial")
    _git(repo, "tag", "v2.0.0")
    return repo


@pytest.mark.slow
def test_git_source_with_tag_and_subdirectory(monorepo: Path, tmp_path: Path,
                                              cache_dir: Path) -> None:
    commit = _git(monorepo, "rev-parse", "HEAD")
    # A later commit on main that breaks the package: the tag must still build.
    (monorepo / "packages" / "hatch_pkg" / "pyproject.toml").write_text("broken = [\n")
    _git(monorepo, "commit", "-qam", "break")
    url = f"git+file://{monorepo}@v2.0.0#subdirectory=packages/hatch_pkg"
    proc = run_hwb("build", url, "-o", str(tmp_path / "out"), "--json", cwd=tmp_path,
                   cache=cache_dir)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["source"]["kind"] == "git"
    assert data["source"]["commit"] == commit
    assert {a["filename"] for a in data["artifacts"]} == {
        "hatch_pkg-2.0.0.tar.gz", "hatch_pkg-2.0.0-py3-none-any.whl"}


@pytest.mark.slow
def test_two_builds_of_one_commit_are_identical(monorepo: Path, tmp_path: Path,
                                                cache_dir: Path) -> None:
    project = monorepo / "packages" / "hatch_pkg"
    first = run_hwb("build", "-o", str(tmp_path / "a"), "--json", cwd=project, cache=cache_dir)
    second = run_hwb("build", "-o", str(tmp_path / "b"), "--json", "--no-cache", cwd=project,
                     cache=cache_dir)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    hashes_a = {a["filename"]: a["sha256"] for a in json.loads(first.stdout)["artifacts"]}
    hashes_b = {a["filename"]: a["sha256"] for a in json.loads(second.stdout)["artifacts"]}
    assert hashes_a == hashes_b
    assert len(hashes_a) == 2
    # The timestamps inside are the commit's, not the build's.
    with tarfile.open(tmp_path / "a" / "hatch_pkg-2.0.0.tar.gz") as tar:
        mtimes = {m.mtime for m in tar.getmembers()}
    commit_time = int(_git(monorepo, "log", "-1", "--format=%ct"))
    assert mtimes == {commit_time}


@pytest.mark.slow
def test_environment_cache_is_reused(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    project = copy_package("flit_pkg", tmp_path)
    first = run_hwb("build", "-o", "one", cwd=project, cache=cache)
    assert first.returncode == 0, first.stderr
    assert "Creating build environment" in first.stderr
    envs = [p for p in (cache / "envs").iterdir() if p.is_dir()]
    assert len(envs) == 1
    second = run_hwb("build", "-o", "two", cwd=project, cache=cache)
    assert second.returncode == 0, second.stderr
    assert "Creating build environment" not in second.stderr
    third = run_hwb("build", "-o", "three", "--no-cache", cwd=project, cache=cache)
    assert third.returncode == 0, third.stderr
    assert "Creating build environment" in third.stderr
    assert [p for p in (cache / "envs").iterdir() if p.is_dir()] == envs


@pytest.mark.slow
@pytest.mark.parametrize("isolation", ["pip", "none"])
def test_other_isolation_modes(isolation: str, tmp_path: Path, cache_dir: Path) -> None:
    project = copy_package("flit_pkg", tmp_path)
    if isolation == "none":
        # Without isolation the running interpreter must meet the requirements (checked
        # first, as build does): hwb's own environment has a newer flit_core than <4.
        pyproject = project / "pyproject.toml"
        pyproject.write_text(pyproject.read_text().replace('"flit_core>=3.9,<4"',
                                                           '"flit_core>=3.9"'))
    proc = run_hwb("build", "--isolation", isolation, "--json", cwd=project, cache=cache_dir)
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["artifacts"]) == 2


def test_config_settings_reach_the_backend(tmp_path: Path, cache_dir: Path) -> None:
    project = copy_package("config_echo", tmp_path)
    proc = run_hwb("build", "--wheel", "-C", "mode=fast", "-C", "x=1", cwd=project, cache=cache_dir)
    # The toy backend prints what it got, then fails: its last lines are in the error.
    assert proc.returncode == 1, proc.stderr
    assert 'CONFIG={"mode": "fast", "x": "1"}' in proc.stderr


def test_config_setting_without_a_key_is_a_usage_error(tmp_path: Path,
                                                         cache_dir: Path) -> None:
    project = copy_package("config_echo", tmp_path)
    # `-C mode` is mode="" as in build (tests/integration/test_build_config_settings.py).
    proc = run_hwb("build", "-C", "=mode", cwd=project, cache=cache_dir)
    _assert_clean_failure(proc, 2, project / "dist")
    assert "expected KEY=VALUE, got '=mode'" in proc.stderr
    assert "TIP: " in proc.stderr


# -- bad input -----------------------------------------------------------------------------

def _assert_clean_failure(proc: subprocess.CompletedProcess[str], code: int, out: Path) -> None:
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert not out.exists(), list(out.iterdir())  # not even an empty dist/


def test_malformed_pyproject_names_line_and_column(tmp_path: Path, cache_dir: Path) -> None:
    project = copy_package("bad_toml", tmp_path)
    proc = run_hwb("build", cwd=project, cache=cache_dir)
    _assert_clean_failure(proc, 2, project / "dist")
    assert "pyproject.toml:8:" in proc.stderr
    assert "invalid TOML" in proc.stderr


def test_build_system_typo_suggests(tmp_path: Path, cache_dir: Path) -> None:
    project = copy_package("bad_backend_typo", tmp_path)
    proc = run_hwb("build", cwd=project, cache=cache_dir)
    _assert_clean_failure(proc, 2, project / "dist")
    assert "pyproject.toml:3:" in proc.stderr
    assert "did you mean 'build-backend'" in proc.stderr


def test_uninstallable_requirement_is_named(tmp_path: Path, cache_dir: Path) -> None:
    project = copy_package("bad_requirement", tmp_path)
    proc = run_hwb("build", cwd=project, cache=cache_dir)
    _assert_clean_failure(proc, 1, project / "dist")
    assert "hwb-test-no-such-package-xyzzy" in proc.stderr
    assert "could not install the build requirements" in proc.stderr


def test_unknown_backend_module(tmp_path: Path, cache_dir: Path) -> None:
    project = copy_package("unknown_backend", tmp_path)
    proc = run_hwb("build", cwd=project, cache=cache_dir)
    _assert_clean_failure(proc, 1, project / "dist")
    assert "'hwb_missing_backend_module' could not be imported" in proc.stderr


@pytest.mark.parametrize("server", ["1", "0"])
def test_failing_backend_names_hook_and_shows_output(server: str, tmp_path: Path,
                                                     cache_dir: Path) -> None:
    project = copy_package("failing_backend", tmp_path)
    proc = run_hwb("build", cwd=project, cache=cache_dir, env={"HWB_HOOK_SERVER": server})
    _assert_clean_failure(proc, 1, project / "dist")
    assert "failed in hook build_wheel" in proc.stderr
    assert "undefined reference to `quux'" in proc.stderr
    assert "exit code 3" in proc.stderr


def test_not_a_project(tmp_path: Path, cache_dir: Path) -> None:
    (tmp_path / "empty").mkdir()
    proc = run_hwb("build", "empty", cwd=tmp_path, cache=cache_dir)
    assert proc.returncode == 2
    assert "not a Python project" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_setup_cfg_only_project_is_refused_with_a_remedy(tmp_path: Path,
                                                         cache_dir: Path) -> None:
    project = copy_package("setup_cfg_only", tmp_path)
    proc = run_hwb("build", cwd=project, cache=cache_dir)
    _assert_clean_failure(proc, 2, project / "dist")
    assert f"{project / 'setup.cfg'}: setup.cfg alone is not buildable" in proc.stderr
    assert "setuptools.build_meta" in proc.stderr
    assert "Creating build environment" not in proc.stderr


def test_sdist_without_a_project_names_the_archive(tmp_path: Path, cache_dir: Path) -> None:
    (tmp_path / "notes-1.0").mkdir()
    (tmp_path / "notes-1.0" / "README").write_text("not a project")
    archive = tmp_path / "notes-1.0.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "notes-1.0", arcname="notes-1.0")
    proc = run_hwb("build", str(archive), cwd=tmp_path, cache=cache_dir)
    _assert_clean_failure(proc, 2, tmp_path / "dist")
    assert "notes-1.0.tar.gz holds no Python project" in proc.stderr
    assert "hwb-sdist-" not in proc.stderr


def test_bad_isolation_value_suggests(tmp_path: Path, cache_dir: Path) -> None:
    project = copy_package("flit_pkg", tmp_path)
    proc = run_hwb("build", "--isolation", "uvv", cwd=project, cache=cache_dir)
    assert proc.returncode == 2
    assert "did you mean 'uv'" in proc.stderr


def test_verbose_shows_traceback(tmp_path: Path, cache_dir: Path) -> None:
    project = copy_package("bad_toml", tmp_path)
    proc = run_hwb("build", "--verbose", cwd=project, cache=cache_dir)
    assert proc.returncode == 2
    assert "Traceback" in proc.stderr


@pytest.mark.slow
def test_python_api_returns_data(tmp_path: Path, cache_dir: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import hwb_action

    project = copy_package("pdm_pkg", tmp_path)
    monkeypatch.setenv("HWB_CACHE_DIR", str(cache_dir))
    result = hwb_action.build(str(project), out_dir=str(tmp_path / "api"))
    assert {a.kind for a in result.artifacts} == {"sdist", "wheel"}
    assert result.project.name == "pdm-pkg"
    assert all(a.path.parent == tmp_path / "api" for a in result.artifacts)
    assert result.to_json()["artifacts"][0]["sha256"] == sha256(result.artifacts[0].path)


@pytest.mark.slow
def test_concurrent_builds_share_one_environment(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    project = copy_package("hatch_pkg", tmp_path)
    env = dict(os.environ, HWB_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    procs = [
        subprocess.Popen([sys.executable, "-m", "hwb_action", "build", "-o", f"out{i}"],
                         cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
        for i in range(2)
    ]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    creations = sum("Creating build environment" in err for _, err in outputs)
    assert creations == 1
    assert len([p for p in (cache / "envs").iterdir() if p.is_dir()]) == 1
    assert (project / "out0" / "hatch_pkg-2.0.0.tar.gz").is_file()
    assert (project / "out1" / "hatch_pkg-2.0.0-py3-none-any.whl").is_file()


@pytest.mark.slow
def test_hook_server_and_plain_processes_give_identical_artifacts(
        monorepo: Path, tmp_path: Path, cache_dir: Path) -> None:
    project = monorepo / "packages" / "hatch_pkg"
    hashes = []
    for server in ("1", "0"):
        proc = run_hwb("build", "-o", str(tmp_path / server), "--json", cwd=project,
                       cache=cache_dir, env={"HWB_HOOK_SERVER": server})
        assert proc.returncode == 0, proc.stderr
        hashes.append(sorted((a["filename"], a["sha256"])
                             for a in json.loads(proc.stdout)["artifacts"]))
    assert hashes[0] == hashes[1]


def test_interrupted_build_leaves_nothing(tmp_path: Path, cache_dir: Path) -> None:
    project = tmp_path / "slow"
    (project / "backend").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "slow"\nbackend-path = ["backend"]\n'
        '[project]\nname = "slow"\nversion = "1"\n')
    (project / "backend" / "slow.py").write_text(
        "import time, pathlib\n"
        "def build_sdist(d, config_settings=None):\n"
        "    pathlib.Path(d, 'partial.tar.gz').write_bytes(b'half')\n"
        "    time.sleep(60)\n")
    env = dict(os.environ, HWB_CACHE_DIR=str(cache_dir), PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "hwb_action", "build", "--sdist"],
                            cwd=project, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    import signal
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if list((project / "dist").glob(".hwb-staging-*/partial.tar.gz")):
            break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("the backend never started")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert not (project / "dist").exists()
