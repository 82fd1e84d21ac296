"""Per-file publish results, and how they are shown (summary table, JSON)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from hwb_action.artifacts import Artifact

Status = Literal["uploaded", "skipped", "failed", "ready"]
"""``ready`` only in a ``--check`` dry run: the file would be uploaded."""


@dataclass(frozen=True, kw_only=True)
class FileResult:
    """What happened to one distribution file."""

    filename: str
    status: Status
    url: str
    sha256: str
    error: str | None = None

    def to_json(self) -> dict[str, str]:
        data = {"filename": self.filename, "status": self.status, "url": self.url,
                "sha256": self.sha256}
        if self.error is not None:
            data["error"] = self.error
        return data


@dataclass(frozen=True, kw_only=True)
class UploadOptions:
    """How files travel: concurrency, retries, timeouts, the existence check, dry run."""

    jobs: int = 4
    retries: int = 4
    backoff: float = 0.5
    """Seconds before the first retry; doubled for each next one (capped at 30)."""
    timeout: float = 120
    skip_existing: bool = True
    check_only: bool = False
    index_check: bool = True
    """Read the index before uploading a file and never upload one it cannot show is absent
    (or there with the same sha256); ``False`` uploads unchecked, with a warning."""


class Publisher(Protocol):
    """A publish target: a legacy-upload-API index or an S3 static index."""

    def publish(self, artifacts: Sequence[Artifact]) -> list[FileResult]:
        """Publish ``artifacts`` (sdists first); one result per artifact, in order."""


def summary_table(repository: str, results: Sequence[FileResult], *, check_only: bool) -> str:
    """The Markdown job summary: one row per file."""
    title = "hwb publish --check" if check_only else "hwb publish"
    lines = [f"### {title} to `{repository}`", "",
             "| File | Status | sha256 | URL / error |", "| --- | --- | --- | --- |"]
    icons = {"uploaded": "uploaded", "skipped": "skipped (already there)", "failed": "**failed**",
             "ready": "ready (dry run)"}
    for r in results:
        # A failure's message is in the table of warnings and errors: said once.
        detail = "see *Warnings and errors*" if r.error else r.url
        lines.append(f"| `{r.filename}` | {icons[r.status]} | `{r.sha256[:12]}` | {detail} |")
    counts = {s: sum(1 for r in results if r.status == s) for s in icons}
    lines += ["", ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "nothing to publish"]
    return "\n".join(lines)
