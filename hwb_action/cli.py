"""The ``hwb`` command line: the only place that prints results and chooses exit codes.

Flags are generated from :data:`hwb_action.settings.OPTIONS`, so that every setting has the
same name as a flag, a ``[tool.hwb]`` key, an ``HWB_*`` variable and an action input.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hwb_action import __version__
from hwb_action._command import CommandResult, Invocation
from hwb_action._signals import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated, interrupts_unwind
from hwb_action._values import parse_config_settings
from hwb_action.ci import BaseReporter, detect_reporter, error_annotation
from hwb_action.errors import EXIT_FAILED, EXIT_USAGE, HwbError
from hwb_action.settings import Option, convert_text, options_for, parse_pairs
from hwb_action.trust import register_secrets

# command -> (module, function, help); the function is ``run(Invocation) -> CommandResult``.
# Imported lazily: `hwb check` must not pay for twine.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "build": ("hwb_action.commands.build", "run",
              "build an sdist and wheels into dist/, checked, with SHA256SUMS"),
    "check": ("hwb_action.commands.check", "run",
              "check distributions (zip, filename, metadata, RECORD, README rendering)"),
    "plan": ("hwb_action.commands.plan", "run", "print the build matrix for CI"),
    "publish": ("hwb_action.commands.publish", "run",
                "upload distributions to PyPI, a private index, or an S3 static index"),
    "version": ("hwb_action.commands.version", "run",
                "print the next version from conventional commits (dry run)"),
    "release": ("hwb_action.commands.release", "run",
                "bump the version, write the changelog, commit and tag"),
    "cache": ("hwb_action.commands.cache", "run",
              "show (info), empty (clean) or shrink (prune) the build-environment cache"),
}

EPILOG = """exit codes: 0 success, 1 the work failed, 2 usage or configuration error,
130 interrupted, 143 terminated (both after cleaning up).
Every option is also a [tool.hwb] key in pyproject.toml and an HWB_<KEY> variable."""


class _Parser(argparse.ArgumentParser):
    json_errors = False
    """Set by :func:`main` when ``--json`` is on the command line: a usage error is then
    one JSON document on stdout too."""

    def error(self, message: str) -> Any:  # argparse's own exit(2), with our wording
        self.print_usage(sys.stderr)
        sys.stderr.write(f"ERROR: {message}\n")
        if _Parser.json_errors:
            _write_json(error_document(message, exit_code=EXIT_USAGE,
                                       hint="run hwb COMMAND --help for the options"))
        raise SystemExit(EXIT_USAGE)


def error_document(message: str, *, exit_code: int, hint: str | None = None,
                   file: str | None = None, line: int | None = None,
                   details: Sequence[str] = ()) -> dict[str, Any]:
    """The ``--json`` document of a failure: ``{"error": {...}}``."""
    return {"error": {"message": message, "hint": hint, "exit_code": exit_code,
                      "file": file, "line": line, "details": list(details)}}


def _error_of(err: HwbError) -> dict[str, Any]:
    document = error_document(err.message, exit_code=err.exit_code, hint=err.hint,
                              file=err.file, line=err.line, details=err.details)
    # What was made before the failure (e.g. the artifacts of a failed check).
    partial = getattr(err, "data", None)
    if isinstance(partial, dict):
        document = {**partial, **document}
    return document


def _write_json(document: dict[str, Any], reporter: BaseReporter | None = None) -> None:
    text = json.dumps(document, indent=2)
    sys.stdout.write((reporter.document(text, is_json=True) if reporter else text) + "\n")
    sys.stdout.flush()


def _add_option(parser: argparse.ArgumentParser, opt: Option) -> None:
    dest = opt.name.replace("-", "_")
    if opt.positional:
        parser.add_argument(
            dest, nargs="*" if opt.kind == "list" else "?", default=None,
            metavar=opt.metavar or opt.name.upper(), help=opt.help,
        )
        return
    names = [*opt.flags, opt.flag]
    if opt.kind == "bool":
        parser.add_argument(*names, dest=dest, action=argparse.BooleanOptionalAction,
                            default=None, help=opt.help)
    elif opt.kind in ("list", "dict"):
        parser.add_argument(*names, dest=dest, action="append", default=None,
                            metavar=opt.metavar or "VALUE", help=opt.help)
    else:
        parser.add_argument(*names, dest=dest, default=None, type=str,
                            metavar=opt.metavar or "VALUE", help=opt.help)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, generated from the settings table."""
    common = _Parser(add_help=False)
    common.add_argument("--json", action="store_true", default=False,
                        help="print one JSON document on stdout; human text goes to stderr")
    common.add_argument("-v", "--verbose", action="store_true", default=False,
                        help="show commands, full logs and tracebacks")
    common.add_argument("-q", "--quiet", action="store_true", default=False,
                        help="show errors and the final result only")
    parser = _Parser(prog="hwb", description="Headless Wheel Builder", epilog=EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"hwb {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                parser_class=_Parser)
    for name, (_, _, help_text) in COMMANDS.items():
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text,
                           epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
        for opt in options_for(name):
            _add_option(p, opt)
    return parser


def _cli_values(command: str, ns: argparse.Namespace) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for opt in options_for(command):
        raw = getattr(ns, opt.name.replace("-", "_"), None)
        if raw is None or (opt.positional and opt.kind == "list" and raw == []):
            continue
        where = opt.metavar or opt.name.upper() if opt.positional else opt.flag
        if opt.positional and opt.kind == "list":
            values[opt.name] = list(raw)
        elif opt.kind == "list":
            values[opt.name] = [v for item in raw for v in convert_text(opt, item, where)]
        elif opt.name == "config-settings":
            values[opt.name] = parse_config_settings(raw, where)
        elif opt.kind == "dict":
            values[opt.name] = parse_pairs(raw, where)
        elif opt.kind in ("int",):
            values[opt.name] = convert_text(opt, raw, where)
        else:
            values[opt.name] = raw
    return values


def report_error(reporter: BaseReporter, err: HwbError, *, verbose: bool) -> None:
    """Show an HwbError: the message at its place, its details, and a TIP."""
    reporter.annotate(error_annotation(err))
    for line in reporter.error_details(err.details):
        reporter.log("  " + line)
    if err.hint:
        reporter.info(f"TIP: {err.hint}")
    if verbose:
        reporter.log("".join(traceback.format_exception(err)))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``hwb``; returns the exit code.

    SIGINT and SIGTERM unwind the command like an exception, so that every cleanup runs
    (no staging directory, temporary tree or backend process is left): exit 130 and 143.
    """
    parser = build_parser()
    args = list(sys.argv[1:] if argv is None else argv)
    _Parser.json_errors = "--json" in args[:args.index("--")] if "--" in args else (
        "--json" in args)
    ns = parser.parse_args(args)
    environ = dict(os.environ)
    reporter = detect_reporter(environ, verbose=ns.verbose, quiet=ns.quiet)
    # Before anything runs: a backend, an index or a remote that prints a secret of this
    # environment (in any of its encodings) shows *** instead.
    register_secrets(environ, reporter)
    try:
        with interrupts_unwind():
            try:
                return _run_command(ns, environ, reporter)
            finally:
                reporter.close()
    except KeyboardInterrupt:  # arrived after the command, while closing
        return EXIT_INTERRUPTED
    except Terminated:
        return EXIT_TERMINATED


def _run_command(ns: argparse.Namespace, environ: dict[str, str],
                 reporter: BaseReporter) -> int:
    """Run the command, show what went wrong, write the stdout document; the exit code."""
    try:
        try:
            result = _invoke(ns, environ, reporter)
        except HwbError as err:
            report_error(reporter, err, verbose=ns.verbose)
            if ns.json:
                _write_json(_error_of(err), reporter)
            return err.exit_code
        except KeyboardInterrupt:
            return _stopped(ns, reporter, "interrupted", EXIT_INTERRUPTED)
        except Terminated:
            return _stopped(ns, reporter, "terminated", EXIT_TERMINATED)
        return _write_result(ns, result, reporter)
    except Exception as err:  # a bug in hwb, not a user mistake: show everything
        reporter.result("".join(traceback.format_exception(err)).rstrip("\n"))
        reporter.result("ERROR: internal error in hwb; please report it with the output above")
        if ns.json:
            _write_json(error_document(f"internal error in hwb: {err!r}", exit_code=EXIT_FAILED,
                                       hint="please report it with the output on stderr"), reporter)
        return EXIT_FAILED


def _invoke(ns: argparse.Namespace, environ: dict[str, str],
            reporter: BaseReporter) -> CommandResult:
    # Stray writes of libraries reach the log as the reporter's (safe) lines.
    with reporter.stray_output():
        module, func, _ = COMMANDS[ns.command]
        handler: Callable[[Invocation], CommandResult] = getattr(
            importlib.import_module(module), func)
        inv = Invocation(command=ns.command, cli=_cli_values(ns.command, ns),
                         environ=environ, reporter=reporter, cwd=Path.cwd(), json=ns.json)
        return handler(inv)


def _stopped(ns: argparse.Namespace, reporter: BaseReporter, word: str, code: int) -> int:
    """An interrupt or SIGTERM: said on stderr (and in the JSON document); its exit code."""
    reporter.result(word)
    if ns.json:
        _write_json(error_document(word, exit_code=code), reporter)
    return code


def _write_result(ns: argparse.Namespace, result: CommandResult,
                  reporter: BaseReporter) -> int:
    """Write the command's stdout document; its exit code."""
    if ns.json:
        data = result.data
        if result.exit_code != 0 and "error" not in data:
            # A command that reports its failure as data (hwb check) still says so here.
            data = {**data, **error_document(
                f"hwb {ns.command} failed", exit_code=result.exit_code,
                hint="the problems are listed in this document and on stderr")}
        document = reporter.document(json.dumps(data, indent=2), is_json=True)
    else:
        document = reporter.document(result.text.rstrip("\n")) if result.text else ""
    if document:
        sys.stdout.write(document + "\n")
    sys.stdout.flush()
    return result.exit_code


def run() -> None:
    sys.exit(main())
