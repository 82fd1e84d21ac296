"""One precedence for every option: defaults < [tool.cibuildwheel] < [tool.hwb] < HWB_* < CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hwb_action._suggest import did_you_mean
from hwb_action.errors import ConfigError, UsageError
from hwb_action.settings import BY_NAME, OPTIONS, resolve


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


# -- values every option must meet -----------------------------------------------------------
@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("out-dir", "dist\nx", "must be one line"),
        ("tag-format", "v{version}\r", "must be one line"),
        ("remote", "origin\u2028x", "must be one line"),
        ("cache-dir", "a\tb", "must not hold control characters"),
        ("index-url", "https://x/\x00", "must not hold control characters"),
    ],
)
def test_control_characters_are_refused(option: str, value: str, message: str) -> None:
    command = next(c for c in BY_NAME[option].commands)
    with pytest.raises(UsageError, match=message) as info:
        resolve(command, cli={option: value})
    assert info.value.message.startswith(f"--{option}: ")
    assert info.value.hint is not None
    assert info.value.hint.startswith(f"{option}: ")


def test_multi_line_options_keep_line_breaks_but_not_nul() -> None:
    message = "chore(release): {version}\n\nSigned-off-by: A <a@example.org>\r\n"
    assert resolve("release", cli={"commit-message": message})["commit-message"] == message
    assert resolve("build", environ={"HWB_TEST_COMMAND": "pytest\npython -c 1"})[
        "test-command"] == "pytest\npython -c 1"
    with pytest.raises(UsageError, match="control characters"):
        resolve("release", cli={"commit-message": "a\x00b"})


def test_list_items_and_dict_keys_are_checked(tmp_path: Path) -> None:
    root = project(tmp_path, '[tool.hwb]\ntest-requires = ["pytest\\nevil"]\n')
    with pytest.raises(ConfigError, match=r"\[tool.hwb\] test-requires: must be one line"):
        resolve("build", project_dir=root)
    with pytest.raises(UsageError, match="key 'A\\\\nB' holds a control character"):
        resolve("build", cli={"environment": {"A\nB": "1"}})
    # A value may span lines (a PEM certificate, say), but NUL reaches no process.
    assert resolve("build", cli={"environment": {"A": "1\n2"}})["environment"] == {"A": "1\n2"}
    with pytest.raises(UsageError, match="NUL"):
        resolve("build", cli={"config-settings": {"k": "\x00"}})


def test_secret_values_are_not_repeated() -> None:
    with pytest.raises(UsageError) as info:
        resolve("publish", environ={"HWB_PASSWORD": "hunter2\n"})
    assert "hunter2" not in str(info.value)
    assert "HWB_PASSWORD: must be one line" in info.value.message


@pytest.mark.parametrize("source", ["cli", "env", "toml"])
def test_minimum_is_checked_where_the_value_was_set(tmp_path: Path, source: str) -> None:
    root = project(tmp_path, "[tool.hwb]\njobs = -1\n" if source == "toml" else "")
    cli = {"jobs": -1} if source == "cli" else None
    environ = {"HWB_JOBS": "-1"} if source == "env" else None
    with pytest.raises(UsageError, match="must be 0 or more, not -1") as info:
        resolve("build", project_dir=root, cli=cli, environ=environ)
    where = {"cli": "--jobs: ", "env": "HWB_JOBS: ", "toml": "[tool.hwb] jobs: "}[source]
    assert info.value.message.startswith(where)
    if source == "toml":
        assert (info.value.line, info.value.exit_code) == (2, 2)
    assert resolve("build", cli={"jobs": 0})["jobs"] == 0
    assert resolve("publish", cli={"timeout": 1})["timeout"] == 1
    with pytest.raises(UsageError, match="--timeout: must be 1 or more, not 0"):
        resolve("publish", cli={"timeout": 0})


def test_minimum_only_on_int_options() -> None:
    for option in OPTIONS:
        if option.minimum is not None:
            assert option.kind == "int", option.name
        if not option.single_line:
            assert option.kind == "str", option.name


# -- [tool.cibuildwheel]: cibuildwheel's own forms -------------------------------------------
def test_cibuildwheel_forms_convert_to_hwb_types(tmp_path: Path) -> None:
    root = project(tmp_path, (
        '[tool.cibuildwheel]\n'
        'test-command = ["pytest {project}/tests", "python -m mypkg --selftest"]\n'
        'before-build = ["pip install cython", "make"]\n'
        'environment = "CFLAGS=\'-O2 -g\' PATH=$PATH:/opt/bin EMPTY="\n'
        'test-requires = "numpy>=1.26,<3 pytest"\n'
        'archs = "x86_64 aarch64"\n'))
    s = resolve("build", project_dir=root)
    assert s["test-command"] == "pytest {project}/tests && python -m mypkg --selftest"
    assert s["before-build"] == "pip install cython && make"
    assert s["environment"] == {"CFLAGS": "-O2 -g", "PATH": "$PATH:/opt/bin", "EMPTY": ""}
    assert s["test-requires"] == ["numpy>=1.26,<3", "pytest"]
    assert s["archs"] == ["x86_64", "aarch64"]
    assert s.origin("environment").kind == "cibuildwheel"


def test_cibuildwheel_environment_table(tmp_path: Path) -> None:
    root = project(tmp_path, '[tool.cibuildwheel.environment]\nA = "1"\nN = 2\nB = true\n')
    assert resolve("build", project_dir=root)["environment"] == {"A": "1", "N": "2", "B": "true"}


@pytest.mark.parametrize(
    ("table", "line", "message"),
    [
        ("[tool.cibuildwheel]\ntest-command = 3\n", 2,
         "test-command must be a string or an array of strings, not int 3"),
        ('[tool.cibuildwheel]\nbefore-build = ["a", 1]\n', 2, "before-build must be"),
        ('[tool.cibuildwheel]\nenvironment = ["A=1"]\n', 2,
         "environment must be a table of strings or a string"),
        ('[tool.cibuildwheel]\nenvironment = "A=1 oops"\n', 2, "expected KEY=VALUE, got 'oops'"),
        ('[tool.cibuildwheel]\nenvironment = "A=\'open"\n', 2, "cannot split"),
        ('[tool.cibuildwheel.environment]\nA = [1]\n', 1, "environment: A must be a string"),
        ("[tool.cibuildwheel]\nbuild = 3\n", 2, "build must be a string or an array"),
    ],
)
def test_cibuildwheel_wrong_types(tmp_path: Path, table: str, line: int, message: str) -> None:
    root = project(tmp_path, table)
    with pytest.raises(ConfigError, match=re.escape(message)) as info:
        resolve("build", project_dir=root)
    assert info.value.line == line
    assert info.value.exit_code == 2


# -- unknown tables and misspelt values ------------------------------------------------------
def test_unknown_subtable(tmp_path: Path) -> None:
    root = project(tmp_path, '[tool.hwb]\nout-dir = "d"\n\n[tool.hwb.enviroment]\nA = "1"\n')
    with pytest.raises(ConfigError) as info:
        resolve("build", project_dir=root)
    assert info.value.message == ("unknown table [tool.hwb.enviroment] "
                                  "(did you mean 'environment'?)")
    assert info.value.line == 4
    assert info.value.hint is not None
    assert "[tool.hwb.config-settings]" in info.value.hint


def test_known_subtables_are_read(tmp_path: Path) -> None:
    root = project(tmp_path, '[tool.hwb.config-settings]\n"--build-option" = "--x"\n')
    assert resolve("build", project_dir=root)["config-settings"] == {"--build-option": "--x"}


def test_misspelt_choice_in_pyproject(tmp_path: Path) -> None:
    root = project(tmp_path, '[project]\nname = "x"\n[tool.hwb]\ntrusted-publishing = "Never"\n')
    with pytest.raises(ConfigError) as info:
        resolve("publish", project_dir=root)
    assert info.value.message == ("[tool.hwb] trusted-publishing: must be one of auto, always, "
                                  "never, not 'Never' (did you mean 'never'?)")
    assert info.value.line == 4


@pytest.mark.parametrize(
    ("word", "choices", "expected"),
    [
        ("UV", ["uv", "pip"], " (did you mean 'uv'?)"),
        ("out_dir", ["out-dir", "cache-dir"], " (did you mean 'out-dir'?)"),
        ("contaner", ["container", "none"], " (did you mean 'container'?)"),
        ("zzz", ["uv", "pip"], ""),
        ("", ["", "docker"], ""),
    ],
)
def test_did_you_mean(word: str, choices: list[str], expected: str) -> None:
    assert did_you_mean(word, choices) == expected
