"""Debugging aids and the environment cache (issue 14, items 6 and 9): ``--keep-temp`` leaves
a usable environment and tree; an error never sends the user to a removed directory;
``--no-cache`` makes one environment per requirement set; ``hwb cache info/clean/prune``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from hwb_action.builder.envcache import entries, prune
from tests.cli_support import run_hwb
from tests.conftest import PACKAGES

BROKEN = '''
import os


def build_sdist(sdist_directory, config_settings=None):
    import recorder
    return recorder.build_sdist(sdist_directory, config_settings)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    raise RuntimeError("broken build in " + os.getcwd())
'''


def _project(tmp_path: Path) -> Path:
    dest = tmp_path / "recorder"
    shutil.copytree(PACKAGES / "recorder", dest)
    return dest


def _kept(stderr: str) -> list[Path]:
    return [Path(m) for m in re.findall(r"Kept \(--keep-temp\): (\S+)", stderr)]


def test_keep_temp_leaves_a_usable_environment_and_tree(tmp_path: Path) -> None:
    project = _project(tmp_path)
    proc = run_hwb("build", "--no-cache", "--keep-temp", "--isolation", "uv", cwd=project)
    assert proc.returncode == 0, proc.stderr
    kept = _kept(proc.stderr)
    try:
        (env,) = [p for p in kept if p.name.startswith("hwb-env-")]
        (trees,) = [p for p in kept if p.name.startswith("hwb-trees-")]
        tree = trees / "0" / "recorder-1.0"
        assert (tree / "pyproject.toml").is_file()
        # The kept environment runs the backend on the kept (unpacked sdist) tree again.
        out = tmp_path / "again"
        out.mkdir()
        code = ("import sys; sys.path.insert(0, 'backend'); import recorder; "
                f"print(recorder.build_wheel({str(out)!r}))")
        again = subprocess.run([str(env / "bin" / "python"), "-c", code], cwd=tree,
                               capture_output=True, text=True, check=False)
        assert again.returncode == 0, again.stderr
        assert (out / again.stdout.strip()).is_file()
    finally:
        for path in kept:
            shutil.rmtree(path, ignore_errors=True)


def test_an_error_naming_a_removed_tree_says_so(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project / "backend" / "broken.py").write_text(BROKEN)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"recorder"', '"broken"'))
    proc = run_hwb("build", "--no-cache", cwd=project)
    assert proc.returncode == 1
    named = re.search(r"broken build in (/\S+)", proc.stderr)
    assert named is not None, proc.stderr
    assert "removed when the build ended; run again with --keep-temp" in proc.stderr
    assert not Path(named.group(1)).exists()

    proc = run_hwb("build", "--no-cache", "--keep-temp", cwd=project)
    assert proc.returncode == 1
    named = re.search(r"broken build in (/\S+)", proc.stderr)
    assert named is not None
    assert Path(named.group(1)).is_dir()  # kept, and it is where the error says
    assert "removed when the build ended" not in proc.stderr
    for path in _kept(proc.stderr):
        shutil.rmtree(path, ignore_errors=True)


def test_no_cache_makes_one_environment_per_requirement_set(tmp_path: Path) -> None:
    project = _project(tmp_path)
    proc = run_hwb("build", "--no-cache", "--isolation", "uv", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("Creating build environment") == 1


def test_cache_info_clean_and_prune(tmp_path: Path) -> None:
    project = _project(tmp_path)
    cache = tmp_path / "cache"
    assert run_hwb("build", "--isolation", "uv", cwd=project, cache=cache).returncode == 0
    info = run_hwb("cache", "--json", cwd=project, cache=cache)
    assert info.returncode == 0, info.stderr
    data = json.loads(info.stdout)
    assert data["cache-dir"] == str(cache)
    (env,) = data["environments"]
    assert env["complete"] and env["size"] > 0 and Path(env["path"]).is_dir()
    text = run_hwb("cache", "info", cwd=project, cache=cache)
    assert "1 build environments" in text.stdout

    pruned = run_hwb("cache", "prune", "--cache-max-size", "0", "--json", cwd=project,
                     cache=cache)
    assert json.loads(pruned.stdout)["removed"] == []  # 0 is no limit

    cleaned = run_hwb("cache", "clean", "--json", cwd=project, cache=cache)
    assert cleaned.returncode == 0, cleaned.stderr
    data = json.loads(cleaned.stdout)
    assert len(data["removed"]) == 1 and data["environments"] == []
    assert not Path(env["path"]).exists()


def test_prune_removes_the_least_recently_used_first(tmp_path: Path) -> None:
    envs = tmp_path / "envs"
    now = time.time()
    for i, age in enumerate((3 * 86400, 2 * 86400, 86400, 0)):
        path = envs / f"env{i}"
        path.mkdir(parents=True)
        (path / "data").write_bytes(b"x" * 1000)
        (path / ".hwb-used").touch()
        os.utime(path / ".hwb-used", (now - age, now - age))
    removed = prune(tmp_path, 2500, keep=[envs / "env0"])
    # env0 is in use by this build; env1 and env2 are the oldest others; env3 is fresh.
    assert [e.path.name for e in removed] == ["env1", "env2"]
    assert sorted(e.path.name for e in entries(tmp_path)) == ["env0", "env3"]


def test_bytecode_is_compiled_by_hwb_on_the_second_use(tmp_path: Path) -> None:
    """A cold job pays no compile; the second build compiles the verified environment, and
    the environment stays recorded: the third build reuses it unchanged."""
    project = tmp_path / "hatch_pkg"
    shutil.copytree(PACKAGES / "hatch_pkg", project)
    cache = tmp_path / "cache"

    def pycs() -> list[Path]:
        return sorted(cache.glob("envs/*/lib/python*/site-packages/hatchling/**/*.pyc"))

    first = run_hwb("build", "--isolation", "uv", "--cache-dir", str(cache), cwd=project)
    assert first.returncode == 0, first.stderr
    [env] = [p for p in (cache / "envs").iterdir() if p.is_dir()]
    assert pycs() == []
    assert not (env / ".hwb-bytecode").exists()
    assert not any((env / ".hwb-users").iterdir())  # the first build let go of it
    second = run_hwb("build", "--isolation", "uv", "--cache-dir", str(cache), cwd=project)
    assert second.returncode == 0, second.stderr
    assert "Creating build environment" not in second.stderr
    assert pycs() != []
    assert (env / ".hwb-bytecode").exists()
    third = run_hwb("build", "--isolation", "uv", "--cache-dir", str(cache), cwd=project)
    assert third.returncode == 0, third.stderr
    assert "Creating build environment" not in third.stderr
    assert "changed" not in third.stderr


def test_no_compile_while_another_build_uses_the_environment(tmp_path: Path) -> None:
    """A user file of a live build keeps the environment as it is (the other build checks it
    after its backends stopped); one older than a day is a killed build's."""
    project = _project(tmp_path)
    cache = tmp_path / "cache"
    first = run_hwb("build", "--isolation", "uv", "--cache-dir", str(cache), cwd=project)
    assert first.returncode == 0, first.stderr
    [env] = [p for p in (cache / "envs").iterdir() if p.is_dir()]
    other = env / ".hwb-users" / "99999-1"
    other.touch()
    second = run_hwb("build", "--isolation", "uv", "--cache-dir", str(cache), cwd=project)
    assert second.returncode == 0, second.stderr
    assert not (env / ".hwb-bytecode").exists()
    day_ago = time.time() - 2 * 24 * 3600
    os.utime(other, (day_ago, day_ago))
    third = run_hwb("build", "--isolation", "uv", "--cache-dir", str(cache), cwd=project)
    assert third.returncode == 0, third.stderr
    assert (env / ".hwb-bytecode").exists()


def test_build_keeps_readme_verdicts_in_its_cache(tmp_path: Path) -> None:
    """The build's checks keep the rst README's verdict where `hwb check` finds it, so the
    next build does not render it again; --no-cache keeps none."""
    project = tmp_path / "flit_pkg"
    shutil.copytree(PACKAGES / "flit_pkg", project)
    cache = tmp_path / "cache"
    proc = run_hwb("build", "--cache-dir", str(cache), cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert list((cache / "readme").iterdir())
    other = tmp_path / "other"
    proc = run_hwb("build", "--no-cache", "-o", "two", cwd=project,
                   env={"HWB_CACHE_DIR": str(other)})
    assert proc.returncode == 0, proc.stderr
    assert not (other / "readme").exists()
