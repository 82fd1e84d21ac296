"""`hwb check` against `twine check` on 50 real wheels (issue 18).

    python benchmarks/bench_check.py [RUNS] [--dists FILE ...]

The wheels are the latest of 50 well-known projects for this interpreter and platform,
downloaded once with ``pip download --no-deps --only-binary :all:`` into
~/.cache/hwb-bench/wheels (later runs reuse them; ``--dists`` checks other files).  Warm:
each tool runs once before timing.  Alternating, median of RUNS (default 5); prints the
medians, the peak RSS of each tool and hwb / twine.  Target: hwb <= 0.5 x twine check.
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import alternate, precompile, report, run_measured, time_command, tool_env

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "hwb-bench" / "wheels"
PROJECTS = (
    "anyio", "attrs", "babel", "black", "certifi", "cffi", "charset-normalizer", "click",
    "colorama", "cryptography", "decorator", "distlib", "docutils", "filelock", "h11",
    "httpcore", "httpx", "idna", "iniconfig", "jinja2", "jsonschema", "markdown-it-py",
    "markupsafe", "mdurl", "more-itertools", "msgpack", "mypy-extensions", "packaging",
    "pathspec", "pip", "platformdirs", "pluggy", "psutil", "pycparser", "pygments",
    "pyparsing", "pytest", "python-dateutil", "pytz", "pyyaml", "referencing", "requests",
    "rich", "setuptools", "six", "sniffio", "tomli", "typing-extensions", "urllib3", "wheel",
)


def real_wheels() -> list[Path]:
    """The 50 wheels, downloaded on the first run."""
    CACHE.mkdir(parents=True, exist_ok=True)
    have = sorted(CACHE.glob("*.whl"))
    if len(have) < len(PROJECTS):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
        env["PIP_CONFIG_FILE"] = os.devnull
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary",
                        ":all:", "--disable-pip-version-check", "-q", "-d", str(CACHE),
                        *PROJECTS], check=True, env=env)
        have = sorted(CACHE.glob("*.whl"))
    return have[: len(PROJECTS)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="?", type=int, default=5)
    parser.add_argument("--dists", nargs="+", type=Path)
    args = parser.parse_args()
    dists = [p.resolve() for p in args.dists] if args.dists else real_wheels()
    env = tool_env({k: v for k, v in os.environ.items()
                    if not k.startswith(("GITHUB_", "GITLAB_"))})
    precompile()
    env["PIP_CONFIG_FILE"] = os.devnull
    bindir = Path(sys.executable).parent
    twine = shutil.which("twine", path=str(bindir)) or "twine"
    files = [str(p) for p in dists]
    commands = {
        "hwb check": [sys.executable, "-m", "hwb_action", "check", "--json", *files],
        "twine check": [twine, "check", *files],
    }
    # A real wheel may fail one tool's checks (exit 1): the time counts, the verdict is
    # printed; any other exit code is a crash.
    runs = {name: functools.partial(time_command, cmd, cwd=str(ROOT), env=env, ok=(0, 1))
            for name, cmd in commands.items()}
    for name, cmd in commands.items():  # warms the page cache and the bytecode
        _, _, done = run_measured(cmd, cwd=str(ROOT), env=env)
        print(f"{name}: exit code {done.returncode}")
    samples = alternate(runs, args.runs)
    print(f"{len(dists)} files ({sum(p.stat().st_size for p in dists) // 1024} KiB), "
          f"median of {args.runs} alternating runs")
    print(report(samples, baseline="twine check", subject="hwb check"))


if __name__ == "__main__":
    main()
