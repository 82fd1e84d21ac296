"""The build's trust boundary, tested as the attacks it stops: a backend that plants code in
the shared build-environment cache, a backend (and a test command) that reads the job's
publishing secrets from its environment."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import PACKAGES

ROOT = Path(__file__).resolve().parents[2]

SECRETS = {
    "HWB_TOKEN": "pypi-hwb-token-value-1",
    "HWB_PASSWORD": "hwb-password-value-2",
    "TWINE_PASSWORD": "twine-password-value-3",
    "TWINE_USERNAME": "twine-user-value-4",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token-value-5",
    "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.example/request-url-6",
    "PYPI_ID_TOKEN": "gitlab-id-token-value-7",
    "GITHUB_TOKEN": "ghs_github-token-value-8",
    "CI_JOB_TOKEN": "gitlab-job-token-value-9",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-value-10",
    "NODE_AUTH_TOKEN": "npm-token-value-11",
}


def hwb(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ)
    full["PYTHONPATH"] = str(ROOT)
    full.update(env)
    return subprocess.run([sys.executable, "-m", "hwb_action", *args], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=600, check=False)


def copy_package(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(PACKAGES / name, dest)
    return dest


def site_packages(cache: Path) -> list[Path]:
    return sorted(cache.glob("envs/*/lib/python*/site-packages"))


def test_planted_pth_never_runs_in_another_build(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    marker = tmp_path / "pth-ran"
    env = {"HWB_CACHE_DIR": str(cache), "PLANTED_PTH_MARKER": str(marker)}
    attacker = copy_package("plant_pth_backend", tmp_path)
    first = hwb("build", "-o", str(tmp_path / "a"), cwd=attacker, env=env)
    assert first.returncode == 0, first.stderr
    # hwb saw the change once the backend had stopped, and threw the environment away.
    assert "this build changed its cached build environment" in first.stderr
    assert "evil.pth" in first.stderr
    assert not any((sp / "evil.pth").exists() for sp in site_packages(cache))

    victim = copy_package("hatch_neighbour", tmp_path)
    second = hwb("build", "-o", str(tmp_path / "b"), cwd=victim, env=env)
    assert second.returncode == 0, second.stderr
    assert not marker.exists(), marker.read_text()
    assert "cached build environment" not in second.stderr


def test_env_changed_between_builds_is_rebuilt(tmp_path: Path) -> None:
    """The same, by a process that outlived its build: hwb checks before each reuse."""
    cache = tmp_path / "cache"
    marker = tmp_path / "pth-ran"
    env = {"HWB_CACHE_DIR": str(cache), "PLANTED_PTH_MARKER": str(marker)}
    victim = copy_package("hatch_neighbour", tmp_path)
    first = hwb("build", "-o", str(tmp_path / "a"), cwd=victim, env=env)
    assert first.returncode == 0, first.stderr
    [sp] = site_packages(cache)
    (sp / "evil.pth").write_text(
        "import os; open(os.environ['PLANTED_PTH_MARKER'], 'a').write('ran')\n")
    # An edited module, with its times put back: the seal still sees it (ctime), and the
    # content record names it.
    init = sp / "hatchling" / "__init__.py"
    before = init.stat()
    init.write_text(init.read_text() + "\n")
    os.utime(init, ns=(before.st_atime_ns, before.st_mtime_ns))

    second = hwb("build", "-o", str(tmp_path / "b"), cwd=victim, env=env)
    assert second.returncode == 0, second.stderr
    assert "was changed after hwb made it" in second.stderr
    assert "added lib/" in second.stderr
    assert "evil.pth" in second.stderr
    assert "hatchling/__init__.py" in second.stderr
    assert "rebuilding it" in second.stderr
    assert not marker.exists()
    assert not (sp / "evil.pth").exists()

    third = hwb("build", "-o", str(tmp_path / "c"), cwd=victim, env=env)
    assert third.returncode == 0, third.stderr
    assert "cached build environment" not in third.stderr
    assert "Creating build environment" not in third.stderr  # the rebuilt one is reused


def test_backend_and_test_command_see_no_publishing_secret(tmp_path: Path) -> None:
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    project = copy_package("env_dump_backend", tmp_path)
    test_dump = dumps / "test-command.json"
    env = {**SECRETS, "HWB_CACHE_DIR": str(tmp_path / "cache"), "ENV_DUMP_DIR": str(dumps),
           "MY_BUILD_FLAG": "kept-for-the-build"}
    command = (f"python -c \"import json, os; json.dump(dict(os.environ), "
               f"open({str(test_dump)!r}, 'w'))\"")
    (dumps / "found-secret.txt").write_text(SECRETS["TWINE_PASSWORD"])
    for isolation in ("uv", "none"):
        result = hwb("build", "-v", "--isolation", isolation, "-o", str(tmp_path / isolation),
                     "--test-command", command, cwd=project, env=env)
        assert result.returncode == 0, result.stderr
        # The backend printed a secret it found in a file: the log shows it masked.
        assert "found: ***" in result.stderr
        assert SECRETS["TWINE_PASSWORD"] not in result.stdout + result.stderr
        seen = sorted(p.name for p in dumps.glob("*.json"))
        assert seen == ["build_sdist.json", "build_wheel.json", "test-command.json"]
        for dump in dumps.glob("*.json"):
            environ = json.loads(dump.read_text())
            leaked = sorted(set(SECRETS) & set(environ))
            assert leaked == [], f"{isolation} {dump.name}: {leaked}"
            values = json.dumps(environ)
            assert not [v for v in SECRETS.values() if v in values]
            assert environ["MY_BUILD_FLAG"] == "kept-for-the-build"
            dump.unlink()
