"""``hwb build [SOURCE]``: build the project, then set the ``artifacts``, ``wheels`` and
``sdist`` outputs and the job summary."""

from __future__ import annotations

import dataclasses
import types
from typing import Any

from hwb_action._command import CommandResult, Invocation
from hwb_action.builder import check_buildable, run_build
from hwb_action.builder.result import BuildResult, outputs, summary
from hwb_action.ci import Reporter
from hwb_action.commands.context import ProjectContext, open_project
from hwb_action.options import BuildOptions, field_name, from_settings, option_of
from hwb_action.settings import Settings

# Where output and caches go is the user's choice, never the choice of a SOURCE that hwb
# downloaded, cloned or unpacked (issue: an sdist must not steer writes elsewhere).
_LOCAL_ONLY = ("out-dir", "cache-dir")


def run(inv: Invocation) -> CommandResult:
    """Build SOURCE into the output directory and report it."""
    result = build(inv)
    for name, value in outputs(result).items():
        inv.reporter.set_output(name, value)
    inv.reporter.add_summary(summary(result))
    return CommandResult(data=result.to_json())


def build(inv: Invocation, options: BuildOptions | None = None,
          overrides: dict[str, Any] | None = None) -> BuildResult:
    """Open SOURCE and build it.  ``options`` (from the Python API) replaces the resolved
    options, with ``overrides`` (option name -> value) applied on top."""
    with open_project(inv, check_tree=check_buildable) as ctx:
        if options is None:
            options = options_for_source(ctx, inv.reporter)
        elif overrides:
            options = _with_overrides(options, overrides)
        return run_build(ctx, options, reporter=inv.reporter, environ=inv.environ,
                         cwd=inv.cwd)


def _with_overrides(options: BuildOptions, overrides: dict[str, Any]) -> BuildOptions:
    changes: dict[str, Any] = {}
    for name, given in overrides.items():
        if name == "source":
            continue
        value: Any = given
        if isinstance(given, list):
            value = tuple(given)
        elif isinstance(given, dict):
            value = types.MappingProxyType(dict(given))
        changes[field_name(option_of(name))] = value
    return dataclasses.replace(options, **changes)


def options_for_source(ctx: ProjectContext, reporter: Reporter) -> BuildOptions:
    """The build options of ``ctx``; when SOURCE is not the local project, its
    ``[tool.hwb]`` ``out-dir`` and ``cache-dir`` are dropped (with a note)."""
    settings = ctx.settings
    if ctx.local:
        return from_settings(BuildOptions, settings)
    values = dict(settings.values)
    origins = dict(settings.origins)
    for name in _LOCAL_ONLY:
        origin = settings.origin(name)
        if origin.kind not in ("pyproject", "cibuildwheel"):
            continue
        reporter.info(f"Ignoring {name} = {values[name]!r} from {origin.describe()}: a "
                      f"SOURCE that is not the local project does not choose where "
                      f"output goes; using {option_of(name).default!r} (set {name} with "
                      f"{option_of(name).flag} or {option_of(name).env} instead)")
        values[name] = option_of(name).default
        del origins[name]
    return from_settings(BuildOptions, Settings(settings.command, values, origins))
