"""`hwb check` as a user runs it: `python -m hwb_action check ...` in a subprocess."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.artifacts_support import build_dists, replace_header, rewrite_wheel
from tests.cli_support import ROOT, hwb_environ, run_hwb

WHEEL = "check_demo-1.0-py3-none-any.whl"
SDIST = "check_demo-1.0.tar.gz"
DI = "check_demo-1.0.dist-info"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_dists("check_demo", tmp_path_factory.mktemp("good"))


@pytest.fixture
def project(built: tuple[Path, Path], tmp_path: Path) -> Path:
    """A directory with dist/ holding the good sdist and wheel."""
    dist = tmp_path / "dist"
    dist.mkdir()
    for p in built:
        shutil.copy(p, dist)
    return tmp_path


def test_json_for_good_dists_default_dist_dir(project: Path) -> None:
    result = run_hwb("check", "--json", cwd=project)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)  # stdout holds the JSON document and nothing else
    assert [a["filename"] for a in doc["artifacts"]] == [SDIST, WHEEL]  # sdists first
    assert doc["problems"] == {}
    wheel = doc["artifacts"][1]
    assert set(wheel) == {"path", "kind", "filename", "sha256", "size", "tags"}
    assert wheel["kind"] == "wheel"
    assert wheel["tags"] == ["py3-none-any"]
    assert wheel["size"] == (project / "dist" / WHEEL).stat().st_size


def test_bad_dist_exits_1_and_names_the_problem(project: Path) -> None:
    def bump(m: dict[str, bytes]) -> None:
        m[f"{DI}/METADATA"] = replace_header(m[f"{DI}/METADATA"], "Version", "9.9")

    bad = rewrite_wheel(project / "dist" / WHEEL, project / "bad" / WHEEL, bump)
    result = run_hwb("check", str(bad), "dist/" + SDIST, "--json", cwd=project)
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    assert [a["filename"] for a in doc["artifacts"]] == [SDIST]
    assert doc["problems"] == {WHEEL: [
        f"{WHEEL}: METADATA: version '9.9' does not match the filename (1.0)"]}
    # where: the wheel and the member
    assert (f"bad/{WHEEL}!/{DI}/METADATA: METADATA: version '9.9' does not match"
            in result.stderr)


def test_human_output(project: Path) -> None:
    (project / "dist" / WHEEL).write_bytes(b"garbage")
    result = run_hwb("check", "dist", cwd=project)  # a directory is expanded like dist/*
    assert result.returncode == 1
    assert result.stdout.splitlines() == [f"{SDIST}: PASSED", f"{WHEEL}: FAILED (1 problem)"]
    assert f"{WHEEL}: not a valid zip file" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_path_is_a_usage_error(project: Path) -> None:
    result = run_hwb("check", "dist/nothere-1.0-py3-none-any.whl", "--json", cwd=project)
    assert result.returncode == 2
    # --json: the failure is the one document on stdout (issue 14).
    error = json.loads(result.stdout)["error"]
    assert error["exit_code"] == 2 and "no such file" in error["message"]
    assert "nothere-1.0-py3-none-any.whl: no such file" in result.stderr


def test_shell_glob_of_a_built_dist_dir_skips_sha256sums(project: Path) -> None:
    from hwb_action.artifacts import check_artifact, find_dists, write_checksums

    dist = project / "dist"
    write_checksums(dist, [check_artifact(p) for p in find_dists(dist)])
    # What `hwb check dist/*` passes after `hwb build`: the dists and SHA256SUMS.
    result = run_hwb("check", *sorted(str(p) for p in dist.iterdir()), cwd=project)
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.splitlines()) == [f"{WHEEL}: PASSED", f"{SDIST}: PASSED"]


def test_unknown_file_type_is_a_usage_error(project: Path) -> None:
    (project / "notes.txt").write_text("x")
    result = run_hwb("check", "notes.txt", cwd=project)
    assert result.returncode == 2
    assert "not a distribution" in result.stderr


def test_no_dists_is_a_usage_error(tmp_path: Path) -> None:
    result = run_hwb("check", cwd=tmp_path)
    assert result.returncode == 2
    assert "no distributions given" in result.stderr
    assert "TIP:" in result.stderr


def test_glob_from_the_environment(project: Path) -> None:
    # An action input reaches us as HWB_DISTS, unexpanded by any shell.
    result = run_hwb("check", "--json", cwd=project, env={"HWB_DISTS": "dist/*.whl"})
    assert result.returncode == 0, result.stderr
    assert [a["filename"] for a in json.loads(result.stdout)["artifacts"]] == [WHEEL]


def test_github_annotations_and_summary(project: Path, tmp_path: Path) -> None:
    (project / "dist" / WHEEL).write_bytes(b"garbage")
    summary = tmp_path / "summary.md"
    output = tmp_path / "output"
    result = run_hwb("check", cwd=project, env={
        "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output)})
    assert result.returncode == 1
    assert any(line.startswith("::error") and WHEEL in line
               for line in result.stdout.splitlines() + result.stderr.splitlines())
    text = summary.read_text()
    assert "### hwb check" in text
    assert f"`{SDIST}` | sdist" in text
    # each problem once, in the summary's table, with the file as "Where"
    rows = [ln for ln in text.splitlines() if "not a valid zip file" in ln]
    assert len(rows) == 1, text
    assert f"| `dist/{WHEEL}` |" in rows[0]


def test_check_does_not_import_the_publishing_stack(project: Path) -> None:
    """`hwb check` runs on every build and in pre-commit hooks: no twine, no boto3."""
    script = ("import sys; from hwb_action.cli import main; code = main(['check']); "
              "print(sorted(m for m in ('twine', 'boto3', 'hwb_action.publish') "
              "if m in sys.modules), code)")
    environ = hwb_environ()
    done = subprocess.run([sys.executable, "-c", script], cwd=project, env=environ,
                          capture_output=True, text=True, check=False)
    assert done.stdout.splitlines()[-1] == "[] 0", done.stderr


# -- layout warnings and --strict ------------------------------------------------------------
def with_tests_package(project: Path) -> Path:
    """dist/ holds a wheel that ships a top-level tests/ package (check-wheel-contents W005)."""
    wheel = project / "dist" / WHEEL
    return rewrite_wheel(wheel, wheel, lambda m: m.update({"tests/__init__.py": b""}))


def test_layout_warning_passes_unless_strict(project: Path) -> None:
    with_tests_package(project)
    cache = {"HWB_CACHE_DIR": str(project / "cache")}
    plain = run_hwb("check", cwd=project, env=cache)
    assert plain.returncode == 0, plain.stderr
    assert f"{WHEEL}: PASSED with 1 warning" in plain.stdout.splitlines()
    assert f"WARNING: dist/{WHEEL}!/tests: W005 Wheel contains common toplevel name" \
        in plain.stderr
    strict = run_hwb("check", "--strict", "--json", cwd=project, env=cache)
    assert strict.returncode == 1, strict.stderr
    doc = json.loads(strict.stdout)
    assert doc["strict"] is True
    assert doc["problems"] == {}
    assert [w.split(": ", 2)[1][:4] for w in doc["warnings"][WHEEL]] == ["W005"]
    from_env = run_hwb("check", cwd=project, env={**cache, "HWB_STRICT": "true"})
    assert from_env.returncode == 1
    assert f"{WHEEL}: FAILED due to 1 warning (--strict)" in from_env.stdout.splitlines()
    assert f"{SDIST}: PASSED" in from_env.stdout.splitlines()


def test_strict_fails_on_readme_warnings(project: Path) -> None:
    def untyped(m: dict[str, bytes]) -> None:
        m[f"{DI}/METADATA"] = replace_header(m[f"{DI}/METADATA"], "Description-Content-Type",
                                             None)

    wheel = project / "dist" / WHEEL
    rewrite_wheel(wheel, wheel, untyped)
    result = run_hwb("check", "--strict", str(wheel), cwd=project,
                     env={"HWB_CACHE_DIR": str(project / "cache")})
    assert result.returncode == 1
    assert "long_description_content_type missing" in result.stderr


def test_each_warning_once_in_annotations_and_summary(project: Path, tmp_path: Path) -> None:
    with_tests_package(project)
    summary = tmp_path / "summary.md"
    result = run_hwb("check", cwd=project, env={
        "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(tmp_path / "output"), "HWB_CACHE_DIR": str(project / "cache")})
    assert result.returncode == 0, result.stderr
    out = result.stdout + result.stderr
    annotations = [ln for ln in out.splitlines() if ln.startswith("::warning") and "W005" in ln]
    assert len(annotations) == 1, out
    assert f"file=dist/{WHEEL}!/tests," in annotations[0]
    text = summary.read_text()
    assert len([ln for ln in text.splitlines() if "W005" in ln]) == 1, text
    assert text.count("<details>") == 2  # both files' contents
    assert "| `check_demo-1.0.tar.gz` | check-demo | 1.0 | >=3.9 |" in text


def test_sdist_with_links_on_debian_python_3_11_2(built: tuple[Path, Path],
                                                  tmp_path: Path) -> None:
    """tarfile.data_filter came in 3.11.4: Debian 12's 3.11.2 must check a link-holding
    sdist without a traceback (the link checks do not use it)."""
    import tarfile

    system = Path("/usr/bin/python3")
    if not system.exists():
        pytest.skip("no /usr/bin/python3 (Debian's interpreter) on this machine")
    probe = subprocess.run([str(system), "-c", "import sys, tarfile; print(sys.version_info "
                            "[:2], hasattr(tarfile, 'data_filter'))"],
                           capture_output=True, text=True, check=True).stdout
    if not probe.startswith("(3, 11)"):
        pytest.skip(f"/usr/bin/python3 is not a 3.11: {probe.strip()}")
    # Only the standard library and packaging (a pure-Python copy) on its path.
    import packaging

    lib = tmp_path / "lib"
    shutil.copytree(Path(packaging.__file__).parent, lib / "packaging")
    top = "check_demo-1.0"
    members = []
    with tarfile.open(built[0]) as tar:
        for info in tar.getmembers():
            f = tar.extractfile(info) if info.isfile() else None
            members.append((info, f.read() if f is not None else None))
    safe = tarfile.TarInfo(f"{top}/docs/README.rst")
    safe.type = tarfile.SYMTYPE
    safe.linkname = "../README.rst"
    escape = tarfile.TarInfo(f"{top}/escape")
    escape.type = tarfile.SYMTYPE
    escape.linkname = "../../etc/passwd"
    sdist = tmp_path / SDIST
    with tarfile.open(sdist, "w:gz") as tar:
        for info, data in [*members, (safe, None), (escape, None)]:
            body = data
            if body is not None and info.name.endswith("/PKG-INFO"):
                # markdown: nothing to render, so readme_renderer is not needed there
                body = replace_header(body, "Description-Content-Type", "text/markdown")
                info.size = len(body)
            tar.addfile(info, io.BytesIO(body) if body is not None else None)
    script = ("import json, sys\nfrom pathlib import Path\n"
              "from hwb_action.artifacts import inspect_artifact\n"
              "r = inspect_artifact(Path(sys.argv[1]))\n"
              "print(json.dumps([list(r.problems), r.artifact is None]))\n")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{ROOT}{os.pathsep}{lib}"}
    # cwd: tmp_path, since `python -c` puts the working directory first on sys.path
    done = subprocess.run([str(system), "-c", script, str(sdist)], capture_output=True,
                          text=True, env=env, cwd=tmp_path, check=False)
    assert "Traceback" not in done.stderr, (probe, done.stderr)
    assert done.returncode == 0
    problems, failed = json.loads(done.stdout)
    assert failed is True
    assert problems == [f"{SDIST}: unsafe member '{top}/escape': is a symlink whose target "
                        "'../../etc/passwd' leaves the tree"]


def test_check_wheel_contents_configuration_is_honoured(project: Path) -> None:
    with_tests_package(project)
    cache = {"HWB_CACHE_DIR": str(project / "cache")}
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1"\n\n'
        '[tool.check-wheel-contents]\nignore = ["W005"]\n')
    quiet = run_hwb("check", "--strict", cwd=project, env=cache)
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert "W005" not in quiet.stderr
    # toplevel= turns on W201/W202, as check-wheel-contents does
    (project / "pyproject.toml").write_text(
        '[tool.check-wheel-contents]\nignore = "W005"\ntoplevel = ["check_demo", "other"]\n')
    declared = run_hwb("check", "--json", cwd=project, env=cache)
    warnings = json.loads(declared.stdout)["warnings"][WHEEL]
    assert any("W201" in w and "other" in w for w in warnings), warnings
    assert any("W202" in w and "tests" in w for w in warnings), warnings
    (project / "pyproject.toml").write_text('[tool.check-wheel-contents]\nselect = ["X9"]\n')
    bad = run_hwb("check", cwd=project, env=cache)
    assert bad.returncode == 2, bad.stderr
    assert "pyproject.toml" in bad.stderr
    assert "Traceback" not in bad.stderr
