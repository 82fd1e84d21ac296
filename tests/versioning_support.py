"""Real git repositories for the versioning tests, made and driven by the tests."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hwb_action.ci import NullReporter
from hwb_action.versioning import (
    ReleaseActions,
    ReleasePlan,
    ReleaseResult,
    VersionConfig,
    apply_release,
    plan_release,
)

ROOT = Path(__file__).resolve().parent.parent
DAY = dt.date(2026, 11, 24)


def git_env(home: Path) -> dict[str, str]:
    """An environment in which git ignores the machine's configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "HWB_"))}
    env.update({
        "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(home),
        "GIT_AUTHOR_NAME": "Test Author", "GIT_AUTHOR_EMAIL": "author@example.invalid",
        "GIT_COMMITTER_NAME": "Test Committer", "GIT_COMMITTER_EMAIL": "c@example.invalid",
    })
    return env


class Repo:
    """A git repository in a temporary directory."""

    def __init__(self, path: Path, *, template: Path | None = None) -> None:
        self.path = path
        self.env = git_env(path.parent)
        if template is not None:
            shutil.copytree(template, path)
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        if any(p.name != ".git" for p in path.iterdir()):
            self.git("add", "-A")
            self.git("commit", "-q", "-m", "chore: initial import")

    def git(self, *args: str, cwd: Path | None = None) -> str:
        done = subprocess.run(["git", *args], cwd=cwd or self.path, env=self.env,
                              capture_output=True, text=True, encoding="utf-8", check=False)
        if done.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def commit(self, *messages: str, files: Mapping[str, str] | None = None) -> str:
        """Commit ``files`` (or nothing) with a message of ``messages`` as paragraphs."""
        for name, text in (files or {}).items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            self.git("add", name)
        args = [arg for m in messages for arg in ("-m", m)]
        self.git("commit", "-q", "--allow-empty", *args)
        return self.git("rev-parse", "HEAD").strip()

    def tag(self, name: str, *, annotated: bool = False) -> None:
        if annotated:
            self.git("tag", "-a", name, "-m", name)
        else:
            self.git("tag", name)

    def tags(self) -> set[str]:
        return set(self.git("tag", "--list").split())

    def head_message(self) -> str:
        return self.git("log", "-1", "--format=%B").strip()


def config(**kw: Any) -> VersionConfig:
    """A VersionConfig with the test date and no changelog unless asked for."""
    kw.setdefault("date", DAY)
    kw.setdefault("changelog", "")
    return VersionConfig(**kw)


def plan(repo: Repo, project: Path | None = None, **kw: Any) -> ReleasePlan:
    return plan_release(project or repo.path, config(**kw), environ=repo.env,
                        reporter=NullReporter())


def release(repo: Repo, project: Path | None = None, *, actions: ReleaseActions | None = None,
            **kw: Any) -> ReleaseResult:
    """Plan and apply a release, as ``hwb release`` does."""
    the_plan = plan(repo, project, **kw)
    return apply_release(the_plan, actions or ReleaseActions(), environ=repo.env,
                         reporter=NullReporter())


