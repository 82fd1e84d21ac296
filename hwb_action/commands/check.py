"""``hwb check [DIST...]``: check distributions (default: those in dist/); one status line
per file on stdout, as ``twine check`` prints, problems as annotations and in the summary."""

from __future__ import annotations

from pathlib import Path

from hwb_action._command import CommandResult, Invocation
from hwb_action.artifacts import artifacts_table, check_files, expand_dist_args, find_dists
from hwb_action.ci import Annotation
from hwb_action.ci.summary import md_cell
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


def run(inv: Invocation) -> CommandResult:
    """Check DIST... and report every problem; exit 1 when a file fails."""
    settings = resolve("check", cli=inv.cli, environ=inv.environ, project_dir=inv.cwd)
    options = from_settings(CheckOptions, settings)
    paths = dists_to_check(options, inv.cwd)
    verified = verify_attestations(options, paths) if options.verify_attestations else {}
    report = check_files(paths)
    reporter = inv.reporter
    # Problems and warnings go to the reporter (stderr, CI annotations, the job summary);
    # stdout gets one status line per file.
    lines: list[str] = []
    for p in paths:
        problems = [*report.problems.get(p.name, []), *verified.get(p.name, [])]
        warnings = report.warnings.get(p.name, [])
        for w in warnings:
            reporter.warning(w)
        for problem in problems:
            reporter.annotate(Annotation(level="error", message=problem, title="hwb check"))
        if problems:
            status = f"FAILED ({_plural(len(problems), 'problem')})"
        elif warnings:
            status = f"PASSED with {_plural(len(warnings), 'warning')}"
        else:
            status = "PASSED"
        if p.name in verified and not problems:
            status += ", attestation verified"
        lines.append(f"{p.name}: {status}")
    summary = artifacts_table(report.artifacts) if report.artifacts else ""
    all_problems = {name: [*report.problems.get(name, []), *verified.get(name, [])]
                    for name in [*report.problems, *verified]}
    all_problems = {name: xs for name, xs in all_problems.items() if xs}
    if all_problems:
        summary += "\n**Problems**\n\n" + "".join(
            f"- {md_cell(x)}\n" for xs in all_problems.values() for x in xs)
    if summary:
        reporter.add_summary("### hwb check\n\n" + summary)
    data: dict[str, object] = {
        "artifacts": [a.to_json() for a in report.artifacts],
        "problems": all_problems,
        "warnings": report.warnings,
    }
    if options.verify_attestations:
        data["attestations"] = {name: not xs for name, xs in verified.items()}
    return CommandResult(data=data, text="\n".join(lines),
                         exit_code=0 if report.ok and not all_problems else 1)


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
