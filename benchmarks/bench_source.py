"""SOURCE handling: a git source at a tag, and extracting an sdist.

Usage: python benchmarks/bench_source.py

1. A repository with history (made here with `git fast-import`: COMMITS commits over FILES
   files) is served as a git+file:// URL.  Alternating, RUNS rounds:
   - hwb: ``open_source("git+file://...@v1.0")`` (shallow clone of the tag);
   - pip-style: the commands pip runs for the same requirement (``git clone --filter=blob:none``
     then ``git checkout -q v1.0``);
   - pip download: ``pip download --no-deps --no-build-isolation`` of the same URL (also
     prepares metadata through the backend, as pip must).
2. An sdist of SDIST_FILES files: ``safe_extract`` (checks + tarfile's data filter) against
   ``tarfile.extractall(filter="data")`` alone.
Prints the medians and ratios.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _timing import alternate, report  # noqa: E402

RUNS = 5
COMMITS = 300
FILES = 400
SDIST_FILES = 3000


def _fast_import_stream() -> bytes:
    rng = random.Random(1)
    out = io.BytesIO()
    pyproject = (b'[build-system]\nrequires = ["flit_core>=3.2"]\n'
                 b'build-backend = "flit_core.buildapi"\n[project]\nname = "benchpkg"\n'
                 b'version = "1.0"\ndescription = "x"\n')
    for n in range(1, COMMITS + 1):
        files: list[tuple[str, bytes]] = []
        if n == 1:
            files.append(("pyproject.toml", pyproject))
            files.append(("benchpkg/__init__.py", b'"""bench"""\n'))
            files += [(f"data/f{i}.txt", rng.randbytes(2048).hex().encode())
                      for i in range(FILES)]
        else:
            files += [(f"data/f{rng.randrange(FILES)}.txt", rng.randbytes(2048).hex().encode())
                      for _ in range(20)]
        out.write(b"commit refs/heads/main\nmark :%d\n" % n)
        out.write(f"committer Bench <b@example.org> {1600000000 + n * 60} +0000\n".encode())
        msg = f"commit {n}\n".encode()
        out.write(b"data %d\n%s" % (len(msg), msg))
        for path, data in files:
            out.write(f"M 100644 inline {path}\n".encode())
            out.write(b"data %d\n%s\n" % (len(data), data))
        out.write(b"\n")
    out.write(b"reset refs/tags/v1.0\nfrom :%d\n\n" % COMMITS)
    return out.getvalue()


def _make_repo(root: Path, env: dict[str, str]) -> Path:
    bare = root / "bench.git"
    subprocess.run(["git", "init", "-q", "-b", "main", "--bare", str(bare)], check=True, env=env)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=bare, input=_fast_import_stream(),
                   check=True, env=env)
    subprocess.run(["git", "gc", "-q"], cwd=bare, check=True, env=env)
    return bare


def _make_sdist(path: Path) -> Path:
    rng = random.Random(2)
    with tarfile.open(path, "w:gz") as tf:
        for i in range(SDIST_FILES):
            data = rng.randbytes(512).hex().encode()
            info = tarfile.TarInfo(f"bench-1.0/pkg/m{i // 100}/f{i}.py")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def _timed(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    from hwb_action.ci import NullReporter
    from hwb_action.source import open_source, safe_extract

    tmp = Path(tempfile.mkdtemp(prefix="bench-source-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
                "PIP_CONFIG_FILE": os.devnull})
    try:
        bare = _make_repo(tmp, env)
        url = f"git+file://{bare}@v1.0"
        count = [0]

        def fresh() -> Path:
            count[0] += 1
            return tmp / f"run{count[0]}"

        def hwb() -> None:
            with open_source(url, reporter=NullReporter(), environ=env, cwd=tmp,
                             workdir=fresh()) as src:
                assert (src.path / "pyproject.toml").is_file()

        def pip_style() -> None:
            dest = fresh() / "clone"
            subprocess.run(["git", "clone", "--filter=blob:none", "--quiet", f"file://{bare}",
                            str(dest)], check=True, env=env, capture_output=True)
            subprocess.run(["git", "checkout", "-q", "v1.0"], cwd=dest, check=True, env=env,
                           capture_output=True)
            shutil.rmtree(dest)

        def pip_download() -> None:
            dest = fresh()
            subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                            "--no-build-isolation", "-d", str(dest), f"benchpkg @ {url}"],
                           check=True, env=env, capture_output=True)
            shutil.rmtree(dest)

        samples = alternate({"hwb open_source (shallow)": lambda: _timed(hwb),
                             "pip-style clone+checkout": lambda: _timed(pip_style),
                             "pip download": lambda: _timed(pip_download)}, RUNS)
        print(f"git source at a tag ({COMMITS} commits, {FILES} files), median of {RUNS}:")
        print(report(samples, baseline="pip-style clone+checkout",
                     subject="hwb open_source (shallow)"))

        sdist = _make_sdist(tmp / "bench-1.0.tar.gz")

        def safe() -> None:
            safe_extract(sdist, fresh())

        def plain() -> None:
            with tarfile.open(sdist) as tf:
                tf.extractall(fresh(), filter="data")

        samples = alternate({"hwb safe_extract": lambda: _timed(safe),
                             "tarfile data filter": lambda: _timed(plain)}, RUNS)
        print(f"\nextracting an sdist of {SDIST_FILES} files, median of {RUNS}:")
        print(report(samples, baseline="tarfile data filter", subject="hwb safe_extract"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
