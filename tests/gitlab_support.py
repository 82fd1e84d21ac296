"""What the GitLab tests share: GitLab's dotenv rules, this checkout as hwb-action's project
(HWB_ACTION_REPO), and gitlab-ci-local, found where .ci/run installs it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "templates" / "hwb.gitlab-ci.yml"
EXAMPLE = ROOT / "examples" / "gitlab" / ".gitlab-ci.yml"
# gitlab-ci-local 4.66 and later need Node 22; .ci/run installs this one (Node 18+).
GITLAB_CI_LOCAL_VERSION = "4.65.1"
_DOTENV_KEY = re.compile(r"^[A-Za-z0-9_]+$")


def parse_gitlab_dotenv(text: str) -> dict[str, str]:
    """A dotenv report as GitLab accepts it (ParseDotenvArtifactService's rules), or raise."""
    if len(text.encode()) > 5 * 1024:
        raise ValueError("dotenv report larger than 5 KB")
    out: dict[str, str] = {}
    for line in text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"):
        key, sep, value = line.partition("=")
        if not sep or not _DOTENV_KEY.match(key.strip()):
            raise ValueError(f"invalid dotenv line {line!r}")
        out[key.strip()] = value.strip()
    if len(out) > 20:
        raise ValueError("more than 20 dotenv variables")
    return out


def git(cwd: Path, *args: str) -> str:
    cmd = ["git", "-c", "user.name=hwb test", "-c", "user.email=hwb@example.invalid",
           "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args]
    return subprocess.run(cmd, cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def action_repository(where: Path) -> tuple[str, str]:
    """This checkout's working tree (tracked and new files, uncommitted changes included)
    committed into a git repository of its own, as hwb-action's project: (URL, commit)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=ROOT, check=True,
                            capture_output=True).stdout.decode().split("\0")
    repo = where / "hwb-action"
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # a file deleted in the tree is listed but gone
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "hwb-action")
    return repo.as_uri(), git(repo, "rev-parse", "HEAD")


def find_gitlab_ci_local() -> str | None:
    """gitlab-ci-local on PATH (.ci/run installs it with npm), or named by GITLAB_CI_LOCAL."""
    named = os.environ.get("GITLAB_CI_LOCAL")
    return named if named and Path(named).is_file() else shutil.which("gitlab-ci-local")


GITLAB_IMAGE = "localhost/hwb-test-gitlab"
# The jobs' image in the container runs: the test base image (Debian, python3, git) and
# rsync, with which gitlab-ci-local copies artifacts out of its helper container.
GITLAB_CONTAINERFILE = """\
ARG BASE
FROM $BASE
RUN apt-get update -qq \\
 && apt-get install -y -qq --no-install-recommends rsync >/dev/null \\
 && rm -rf /var/lib/apt/lists/*
"""


def ensure_gitlab_image() -> str:
    """``localhost/hwb-test-gitlab:<key>``, built once on the base image (raises
    ``container_support.Unavailable`` where podman cannot run)."""
    from tests import container_support as cs

    base = cs.ensure_base_image()
    key = cs._key(cs.base_key(), GITLAB_CONTAINERFILE)
    ref = f"{GITLAB_IMAGE}:{key}"
    with cs._mkcache_lock():
        if cs._image_has_label(ref, key):
            return ref
        context = cs.CACHE / f".partial-gitlab-{os.getpid()}"
        context.mkdir(parents=True, exist_ok=True)
        try:
            (context / "Containerfile").write_text(GITLAB_CONTAINERFILE)
            cs._podman("build", "--pull=never", "--build-arg", f"BASE={base}",
                       "--label", f"{cs.LABEL}={key}", "-t", ref, "-t", f"{GITLAB_IMAGE}:latest",
                       "-f", str(context / "Containerfile"), str(context), timeout=900)
        finally:
            shutil.rmtree(context, ignore_errors=True)
        cs._prune(GITLAB_IMAGE, key)
    return ref
