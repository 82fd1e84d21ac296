"""``hwb publish [DIST...]``: check, then upload distributions to PyPI, a private index or
an S3 static index; the ``published`` output holds one JSON result per file."""

from __future__ import annotations

import json

from hwb_action._command import CommandResult, Invocation
from hwb_action.ci import Annotation
from hwb_action.errors import EXIT_FAILED, EXIT_OK
from hwb_action.options import PublishOptions, from_settings
from hwb_action.publish import collect_dists, publish
from hwb_action.publish.results import summary_table
from hwb_action.settings import resolve


def run(inv: Invocation) -> CommandResult:
    """Publish DIST... (default: dist/*); exit 1 when a file failed."""
    settings = resolve("publish", cli=inv.cli, environ=inv.environ, project_dir=inv.cwd)
    options = from_settings(PublishOptions, settings)
    reporter = inv.reporter
    # publish() masks --token/--password first; HWB_* secrets are masked by the CLI at start.
    report = publish(collect_dists(options.dists, inv.cwd), options, environ=inv.environ,
                     reporter=reporter)
    data = report.to_json()
    reporter.set_output("published", json.dumps(data["results"]))
    reporter.add_summary(summary_table(report.repository, report.results,
                                       check_only=report.check_only))
    failed = [r for r in report.results if r.status == "failed"]
    for r in failed:
        reporter.annotate(Annotation(level="error", message=r.error or "failed",
                                     file=r.filename, title="hwb publish"))
    # A failure's message went to the log once, with its file; this line only names it.
    text = "\n".join(f"{r.status:9} {r.filename}  {r.url if r.status != 'failed' else ''}"
                     .rstrip() for r in report.results)
    return CommandResult(data=data, text=text, exit_code=EXIT_FAILED if failed else EXIT_OK)
