"""The typed options: fields match the option table; conversion once; API overrides."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from hwb_action.errors import ConfigError, UsageError
from hwb_action.options import (
    OPTIONS_CLASSES,
    BuildOptions,
    PublishOptions,
    ReleaseOptions,
    _Options,
    from_settings,
    overrides_for,
)
from hwb_action.settings import options_for, resolve


@pytest.mark.parametrize("command", sorted(OPTIONS_CLASSES))
def test_fields_are_the_option_table(command: str) -> None:
    cls = OPTIONS_CLASSES[command]
    fields = {f.name for f in dataclasses.fields(cls)} - {"settings"}
    assert fields == {o.name.replace("-", "_") for o in options_for(command)}


@pytest.mark.parametrize("command", sorted(OPTIONS_CLASSES))
def test_defaults_are_the_option_table(command: str) -> None:
    cls = OPTIONS_CLASSES[command]
    made = from_settings(cls, resolve(command))
    for opt in options_for(command):
        value = getattr(made, opt.name.replace("-", "_"))
        if isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        assert value == opt.default, opt.name


def test_overrides_convert_like_the_environment() -> None:
    got = overrides_for("build", {"cache": "no", "jobs": "3", "out_dir": "x"})
    assert got == {"cache": False, "jobs": 3, "out-dir": "x"}
    options = from_settings(BuildOptions, resolve("build", cli=got))
    assert options.cache is False
    assert options.jobs == 3


def test_unknown_override_suggests_the_name() -> None:
    with pytest.raises(UsageError, match="did you mean 'out_dir'"):
        overrides_for("build", {"outdir": "x"})


def test_wrong_type_override_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="expected bool"):
        overrides_for("build", {"cache": 3})


def test_config_setting_keys_are_stripped_everywhere() -> None:
    from_env = resolve("build", environ={"HWB_CONFIG_SETTINGS": " k=v"})
    from_cli = resolve("build", cli={"config-settings": {"k": "v"}})
    assert dict(from_env["config-settings"]) == dict(from_cli["config-settings"]) == {"k": "v"}


def test_publish_options_validate_once() -> None:
    with pytest.raises(UsageError, match="HWB_RETRIES: must be 0 or more"):
        from_settings(PublishOptions, resolve("publish", environ={"HWB_RETRIES": "-1"}))


@pytest.mark.parametrize(
    ("cls", "values", "message"),
    [
        (BuildOptions, {"jobs": -1}, "--jobs: must be 0 or more, not -1"),
        (PublishOptions, {"jobs": -2}, "--jobs: must be 0 or more, not -2"),
        (PublishOptions, {"timeout": 0}, "--timeout: must be 1 or more, not 0"),
        (BuildOptions, {"out_dir": "dist\n"}, "--out-dir: must be one line"),
        (BuildOptions, {"test_requires": ("pytest", "x\ny")}, "--test-requires: must be one"),
        (BuildOptions, {"isolation": "pipp"}, "(did you mean 'pip'?)"),
        (ReleaseOptions, {"remote": "origin\x1b"}, "--remote: must not hold control"),
    ],
)
def test_options_made_directly_meet_the_same_rules(cls: type[_Options], values: dict[str, Any],
                                                   message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        cls(**values)


def test_direct_options_error_points_at_the_origin(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.hwb]\nout-dir = "dist"\n')
    settings = resolve("build", project_dir=tmp_path)
    with pytest.raises(ConfigError) as info:
        BuildOptions(settings=settings, out_dir="dist\nx")
    assert info.value.line == 2
    assert info.value.message.startswith("[tool.hwb] out-dir: must be one line")


def test_multi_line_commit_message_is_an_option() -> None:
    options = ReleaseOptions(commit_message="chore(release): {version}\n\nbody")
    assert options.commit_message.count("\n") == 2


def test_config_settings_words_repeat_a_list_key() -> None:
    from hwb_action._values import cibw_config_settings, config_settings_words

    settings: dict[str, str | list[str]] = {"key": ["a", "b c"], "flag": "", "x": "1,2"}
    assert config_settings_words(settings) == ["key=a", "key=b c", "flag=", "x=1,2"]
    assert cibw_config_settings(settings) == "key=a 'key=b c' flag= x=1,2"
