"""`hwb version` vs `cz bump --dry-run` (commitizen) and `semantic-release version --print`
(python-semantic-release) on a repository with 20,000 commits since the last tag.

The peers are not project dependencies: install them into a separate venv, e.g.

    python -m venv /tmp/bench-venv
    /tmp/bench-venv/bin/pip install commitizen python-semantic-release

and point at them with HWB_BENCH_CZ / HWB_BENCH_SEMANTIC_RELEASE, or put them on PATH (the
script also looks in /tmp/bench-venv/bin).  A peer that is not installed is skipped with a
message.  Everything runs offline.

    python benchmarks/bench_version.py [--commits 20000] [--runs 5] [--packages 10]

A second part times ``hwb version --all`` on a uv workspace of ``--packages`` packages with
``--commits`` commits, each touching one package (no peer lists a workspace's packages).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import alternate, report, time_command

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = """[project]
name = "bench"
version = "1.3.0"

[tool.commitizen]
name = "cz_conventional_commits"
version_provider = "pep621"
tag_format = "v$version"

[tool.semantic_release]
version_toml = ["pyproject.toml:project.version"]
tag_format = "v{version}"
commit_parser = "conventional"

[tool.semantic_release.branches.main]
match = "main"
prerelease = false
"""
MESSAGES = (
    "feat(core): add feature number {i}",
    "fix: repair bug {i}\n\nA body paragraph explaining bug {i}.\n\nRefs: #{i}",
    "chore: housekeeping {i}",
    "docs(readme): document {i}",
    "perf: speed up path {i}",
    "Update things for {i} without a type",
    "refactor(api): restructure {i}\n\nMore words.\nOn two lines.",
)


def make_repo(path: Path, commits: int, env: dict[str, str]) -> None:
    """A repository tagged v1.3.0 followed by ``commits`` commits, through git fast-import."""
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, env=env, check=True)
    content = PYPROJECT.encode()
    lines: list[bytes] = [b"blob\nmark :1\n", b"data %d\n" % len(content), content, b"\n"]
    when = 1_700_000_000

    def commit(mark: int, parent: int | None, message: str, *, with_file: bool) -> None:
        data = message.encode()
        lines.append(b"commit refs/heads/main\nmark :%d\n" % mark)
        lines.append(b"author A <a@example.invalid> %d +0000\n" % (when + mark))
        lines.append(b"committer A <a@example.invalid> %d +0000\n" % (when + mark))
        lines.append(b"data %d\n" % len(data) + data + b"\n")
        if parent is not None:
            lines.append(b"from :%d\n" % parent)
        if with_file:
            lines.append(b"M 100644 :1 pyproject.toml\n")
        lines.append(b"\n")

    commit(2, None, "chore: initial", with_file=True)
    lines.append(b"reset refs/tags/v1.3.0\nfrom :2\n\n")
    for i in range(commits):
        commit(3 + i, 2 + i, MESSAGES[i % len(MESSAGES)].format(i=i), with_file=False)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, env=env, check=True,
                   input=b"".join(lines))
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=path, env=env, check=True)
    subprocess.run(["git", "remote", "add", "origin", "https://github.com/example/bench.git"],
                   cwd=path, env=env, check=True)


def make_workspace(path: Path, commits: int, packages: int, env: dict[str, str]) -> None:
    """A uv workspace of ``packages`` members tagged NAME-v1.0.0, then ``commits`` commits
    spread over the members (each changes one file of one member)."""
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, env=env, check=True)
    root = b'[project]\nname = "root"\nversion = "1.0.0"\n\n[tool.uv.workspace]\n' \
           b'members = ["packages/*"]\n'
    lines: list[bytes] = [b"commit refs/heads/main\nmark :1\n",
                          b"committer A <a@example.invalid> 1700000000 +0000\n",
                          b"data 14\nchore: initial\n",
                          b"M 100644 inline pyproject.toml\ndata %d\n" % len(root), root, b"\n"]
    for k in range(packages):
        project = b'[project]\nname = "pkg%d"\nversion = "1.0.0"\n' % k
        lines += [b"M 100644 inline packages/pkg%d/pyproject.toml\n" % k,
                  b"data %d\n" % len(project), project, b"\n"]
    lines.append(b"\n")
    for tag in [b"v1.0.0", *(b"pkg%d-v1.0.0" % k for k in range(packages))]:
        lines.append(b"reset refs/tags/" + tag + b"\nfrom :1\n\n")
    for i in range(commits):
        message = MESSAGES[i % len(MESSAGES)].format(i=i).encode()
        content = b"%d\n" % i
        lines += [b"commit refs/heads/main\nmark :%d\n" % (i + 2),
                  b"committer A <a@example.invalid> %d +0000\n" % (1_700_000_001 + i),
                  b"data %d\n" % len(message), message, b"\n",
                  b"from :%d\n" % (i + 1),
                  b"M 100644 inline packages/pkg%d/src/f.py\ndata %d\n"
                  % (i % packages, len(content)), content, b"\n"]
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, env=env, check=True,
                   input=b"".join(lines))
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=path, env=env, check=True)


def find_tool(env_var: str, name: str) -> str | None:
    given = os.environ.get(env_var)
    if given:
        return given if Path(given).exists() else None
    return shutil.which(name) or shutil.which(name, path="/tmp/bench-venv/bin")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--packages", type=int, default=10)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "HWB_"))}
    env.update({"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
                "PYTHONPATH": str(ROOT)})
    with tempfile.TemporaryDirectory(prefix="hwb-bench-version-") as tmp:
        repo = Path(tmp) / "repo"
        make_repo(repo, args.commits, env)
        print(f"repository: {args.commits} commits since v1.3.0")
        contenders = {
            "hwb version": [sys.executable, "-m", "hwb_action", "version"],
        }
        cz = find_tool("HWB_BENCH_CZ", "cz")
        if cz:
            contenders["cz bump --dry-run"] = [cz, "bump", "--dry-run", "--yes"]
        else:
            print("skipping commitizen: `cz` not found (set HWB_BENCH_CZ)")
        psr = find_tool("HWB_BENCH_SEMANTIC_RELEASE", "semantic-release")
        if psr:
            contenders["semantic-release version --print"] = [psr, "version", "--print"]
        else:
            print("skipping python-semantic-release: `semantic-release` not found "
                  "(set HWB_BENCH_SEMANTIC_RELEASE)")
        for name, cmd in contenders.items():
            out = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True,
                                 check=False)
            answer = (out.stdout.strip().splitlines() or ["?"])[-1]
            print(f"{name}: exit {out.returncode}, says {answer!r}")
            if out.returncode != 0:
                raise SystemExit(out.stderr)

        def timer(cmd: list[str]) -> Callable[[], float]:
            return lambda: time_command(cmd, cwd=str(repo), env=env)

        samples = alternate({name: timer(cmd) for name, cmd in contenders.items()}, args.runs)
        baseline = next((n for n in contenders if n != "hwb version"), "hwb version")
        print(report(samples, baseline, subject="hwb version"))

        workspace = Path(tmp) / "workspace"
        make_workspace(workspace, args.commits, args.packages, env)
        print(f"\nworkspace: {args.packages} packages, {args.commits} commits since the tags")
        cmd = [sys.executable, "-m", "hwb_action", "version", "--all"]
        out = subprocess.run(cmd, cwd=workspace, env=env, capture_output=True, text=True,
                             check=False)
        if out.returncode != 0:
            raise SystemExit(out.stderr)
        print(f"hwb version --all: {len(out.stdout.splitlines())} packages listed")
        timed = alternate({"hwb version --all": lambda: time_command(
            cmd, cwd=str(workspace), env=env)}, args.runs)
        print(report(timed, "hwb version --all", subject="hwb version --all"))


if __name__ == "__main__":
    main()
