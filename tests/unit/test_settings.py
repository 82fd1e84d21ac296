"""One precedence for every option: defaults < [tool.cibuildwheel] < [tool.hwb] < HWB_* < CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwb_action.errors import ConfigError, UsageError
from hwb_action.settings import OPTIONS, resolve


def project(tmp_path: Path, text: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(text)
    return tmp_path


def test_defaults(tmp_path: Path) -> None:
    settings = resolve("build", project_dir=tmp_path)
    assert settings["out-dir"] == "dist"
    assert settings["isolation"] == "auto"
    assert settings["cache"] is True
    assert settings.origin("out-dir").kind == "default"


def test_precedence_chain(tmp_path: Path) -> None:
    root = project(tmp_path, '[tool.cibuildwheel]\nskip = "pp*"\ntest-command = "cibw"\n'
                             '[tool.hwb]\nout-dir = "from-toml"\ntest-command = "hwb"\n'
                             'jobs = 3\n')
    s = resolve("build", project_dir=root)
    assert (s["out-dir"], s["test-command"], s["skip"], s["jobs"]) == (
        "from-toml", "hwb", ["pp*"], 3)
    assert s.origin("skip").kind == "cibuildwheel"
    assert s.origin("out-dir").line == 5
    s = resolve("build", project_dir=root, environ={"HWB_OUT_DIR": "from-env", "HWB_JOBS": "5"})
    assert (s["out-dir"], s["jobs"]) == ("from-env", 5)
    s = resolve("build", project_dir=root, environ={"HWB_OUT_DIR": "from-env"},
                cli={"out-dir": "from-cli"})
    assert s["out-dir"] == "from-cli"
    assert s.origin("out-dir").name == "--out-dir"


def test_unknown_key_suggests_and_points_at_line(tmp_path: Path) -> None:
    root = project(tmp_path,
                   '[project]\nname = "x"\n\n[tool.hwb]\nout-dir = "d"\nisolaton = "uv"\n')
    with pytest.raises(ConfigError) as info:
        resolve("build", project_dir=root)
    assert "did you mean 'isolation'" in info.value.message
    assert info.value.line == 6
    assert info.value.exit_code == 2


def test_wrong_type_in_toml(tmp_path: Path) -> None:
    root = project(tmp_path, "[tool.hwb]\njobs = \"many\"\n")
    with pytest.raises(ConfigError, match="must be an integer") as info:
        resolve("build", project_dir=root)
    assert info.value.line == 2
    assert info.value.hint == "write it as jobs = 4"


def test_bad_choice_from_env_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="HWB_ISOLATION") as info:
        resolve("build", project_dir=tmp_path, environ={"HWB_ISOLATION": "pipp"})
    assert "did you mean 'pip'" in info.value.message


@pytest.mark.parametrize(
    ("var", "text", "expected"),
    [
        ("HWB_CACHE", "false", False),
        ("HWB_CACHE", "1", True),
        ("HWB_TEST_REQUIRES", "pytest, numpy  rich", ["pytest", "numpy", "rich"]),
        ("HWB_CONFIG_SETTINGS", "a=1\nb=x=y", {"a": "1", "b": "x=y"}),
    ],
)
def test_environment_conversion(tmp_path: Path, var: str, text: str, expected: object) -> None:
    option = next(o for o in OPTIONS if o.env == var)
    assert resolve("build", project_dir=tmp_path, environ={var: text})[option.name] == expected


def test_bad_boolean(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a boolean"):
        resolve("build", project_dir=tmp_path, environ={"HWB_CACHE": "maybe"})


def test_secrets_are_not_config_keys() -> None:
    for option in OPTIONS:
        if option.secret:
            assert not option.in_config, option.name


def test_option_names_are_unique_and_kebab_case() -> None:
    names = [o.name for o in OPTIONS]
    assert len(names) == len(set(names))
    assert all(n == n.lower() and "_" not in n for n in names)


def test_readme_documents_every_option() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for option in OPTIONS:
        if option.positional:
            continue
        shown = f"`--[no-]{option.name}`" if option.kind == "bool" else f"`{option.flag}`"
        assert shown in readme, f"README does not document {option.flag}"
