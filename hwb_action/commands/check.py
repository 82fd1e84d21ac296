"""``hwb check [DIST...]``: check distributions (default: those in dist/); one status line
per file on stdout, as ``twine check`` prints, each problem and warning once through the
reporter (stderr, CI annotations, the summary's table) with the file and member it is about,
and a summary section with each file's metadata and contents."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from hwb_action._cachedir import default_cache_dir
from hwb_action._command import CommandResult, Invocation
from hwb_action._distcheck import Finding
from hwb_action.artifacts import check_files, expand_dist_args, find_dists
from hwb_action.ci import Annotation, Level
from hwb_action.errors import UsageError
from hwb_action.options import CheckOptions, from_settings
from hwb_action.settings import resolve


def dists_to_check(options: CheckOptions, cwd: Path) -> list[Path]:
    """The files named by DIST (directories and globs expanded), or those in ``cwd/dist``."""
    if options.dists:
        paths = expand_dist_args(options.dists, cwd)
        if not paths:
            msg = f"no distributions in {', '.join(options.dists)}"
            raise UsageError(msg, hint="pass .whl, .tar.gz or .zip files")
        return paths
    paths = find_dists(cwd / "dist")
    if not paths:
        msg = f"no distributions given and none in {cwd / 'dist'}"
        raise UsageError(msg, hint="build first (hwb build), or name the files: "
                                   "hwb check path/to/*.whl")
    return paths


def readme_cache_dir(environ: Mapping[str, str]) -> Path:
    """Where long-description verdicts are kept: ``readme/`` in hwb's cache directory
    (``HWB_CACHE_DIR``, else the user cache dir), as the build-environment cache is found."""
    return default_cache_dir(environ) / "readme"


def where(path: Path, finding: Finding | None, cwd: Path) -> str:
    """``dist/x.whl``, or ``dist/x.whl!/pkg/tests/__init__.py`` for a member (the ``!/``
    of jar: URLs, which cannot be read as a directory in the tree)."""
    try:
        shown = str(path.relative_to(cwd))
    except ValueError:
        shown = str(path)
    return f"{shown}!/{finding.member}" if finding and finding.member else shown


def run(inv: Invocation) -> CommandResult:
    """Check DIST... and report every problem; exit 1 when a file fails (with ``--strict``,
    also when a file has warnings)."""
    settings = resolve("check", cli=inv.cli, environ=inv.environ, project_dir=inv.cwd)
    options = from_settings(CheckOptions, settings)
    paths = dists_to_check(options, inv.cwd)
    # check-wheel-contents' own configuration, where a project has one, as it reads it
    verified = verify_attestations(options, paths) if options.verify_attestations else {}
    report = check_files(paths, layout=True, layout_config=inv.cwd,
                         readme_cache=readme_cache_dir(inv.environ))
    reporter = inv.reporter
    lines: list[str] = []
    for result in report.inspections:
        for finding in result.findings:
            prefix = f"{result.path.name}: "
            message = finding.text.removeprefix(prefix)
            level: Level = "error" if finding.level == "problem" else "warning"
            reporter.annotate(Annotation(level=level, message=message, title="hwb check",
                                         file=where(result.path, finding, inv.cwd)))
        failed_attestation = verified.get(result.path.name, [])
        for problem in failed_attestation:
            reporter.annotate(Annotation(level="error", message=problem, title="hwb check",
                                         file=where(result.path, None, inv.cwd)))
        problems = len(result.problems) + len(failed_attestation)
        warnings = len(result.warnings)
        if problems:
            status = f"FAILED ({_plural(problems, 'problem')})"
        elif warnings and options.strict:
            status = f"FAILED due to {_plural(warnings, 'warning')} (--strict)"
        elif warnings:
            status = f"PASSED with {_plural(warnings, 'warning')}"
        else:
            status = "PASSED"
        if result.path.name in verified and not problems:
            status += ", attestation verified"
        lines.append(f"{result.path.name}: {status}")
    from hwb_action._contents import check_summary

    reporter.add_summary(check_summary(report.inspections))
    all_problems = {name: [*report.problems.get(name, []), *verified.get(name, [])]
                    for name in [*report.problems, *verified]}
    all_problems = {name: xs for name, xs in all_problems.items() if xs}
    data: dict[str, object] = {
        "artifacts": [a.to_json() for a in report.artifacts],
        "problems": all_problems,
        "warnings": report.warnings,
        "strict": options.strict,
    }
    if options.verify_attestations:
        data["attestations"] = {name: not xs for name, xs in verified.items()}
    passed = report.passed(strict=options.strict) and not any(verified.values())
    return CommandResult(data=data, text="\n".join(lines), exit_code=0 if passed else 1)


def verify_attestations(options: CheckOptions, paths: list[Path]) -> dict[str, list[str]]:
    """``--verify-attestations``: each file's attestation against ``--identity``."""
    from hwb_action.verify import load_trusted_root, parse_identity, verify_files

    if not options.identity:
        raise options.settings.error(
            "identity", "--verify-attestations needs the expected publisher",
            hint="give --identity OWNER/REPO/WORKFLOW.yml (GitHub Actions) or "
                 "NAMESPACE/PROJECT//CI_FILE (GitLab CI/CD)")
    publisher = parse_identity(options.identity)
    return verify_files(paths, publisher, load_trusted_root(options.sigstore_trust_config))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
