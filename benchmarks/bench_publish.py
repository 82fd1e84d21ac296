"""Benchmark: `hwb publish` vs `uv publish` vs `twine upload` of 30 distributions (issue 18).

Each run gets a fresh, empty pypiserver on 127.0.0.1 (started before the clock starts, and
checked afterwards to hold all 30 files); the three tools alternate; median of RUNS
(default 5).  Two settings: the index on this machine, and behind a proxy that holds every
request 100 ms (``--latency``), like an index across a network.  Prints the medians, each
tool's peak RSS and the ratios.

    python benchmarks/bench_publish.py [RUNS] [--versions 15] [--latency 0,0.1]
    python benchmarks/bench_publish.py [RUNS] --attested [--latency 0.1]

Targets: local hwb <= 1.0 x uv publish; with 100 ms per request hwb <= 0.5 x twine upload
and <= 0.8 x uv publish.

``--attested`` (issue 15): every file has a pre-made PEP 740 attestation beside it (signed
once, before any clock starts, with the Sigstore stand-ins of tests/sigstore_support.py);
``hwb publish --attestations`` vs ``twine upload --attestations`` of the same files and
attestations.  Target: hwb <= 0.6 x twine with 100 ms per request.
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _latency_proxy import LatencyProxy  # noqa: E402
from _timing import alternate, precompile, report, time_command, tool_env  # noqa: E402

from tests.publish_support import PypiServer, build_dists  # noqa: E402

PASSWORD = "bench-password"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="?", type=int, default=5)
    parser.add_argument("--versions", type=int, default=15, help="sdist + wheel each")
    parser.add_argument("--latency", default="0,0.1",
                        help="seconds the proxy holds each request, comma-separated (0: none)")
    parser.add_argument("--attested", action="store_true",
                        help="pre-made attestations: hwb vs twine upload --attestations")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HWB_", "TWINE_", "UV_", "GITHUB_", "GITLAB_", "ACTIONS_"))}
    env["PIP_CONFIG_FILE"] = os.devnull
    env = tool_env(env)
    precompile()
    bindir = Path(sys.executable).parent
    uv = shutil.which("uv", path=str(bindir)) or "uv"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        dists: list[Path] = []
        for i in range(args.versions):
            dists += build_dists(work / "dist", f"1.0.{i}")
        files = [str(p) for p in dists]
        if args.attested:
            attestations = [str(p) for p in attest_premade(dists, work)]
            attested: dict[str, Callable[[str], list[str]]] = {
                "hwb publish": lambda url: [
                    sys.executable, "-m", "hwb_action", "publish", "-r", url, "--username",
                    "uploader", "--password", PASSWORD, "--attestations", *files],
                "twine upload": lambda url: [
                    sys.executable, "-m", "twine", "upload", "--repository-url", url, "-u",
                    "uploader", "-p", PASSWORD, "--disable-progress-bar", "--non-interactive",
                    "--attestations", *files, *attestations],
            }
            run_rounds(attested, args, work, env, len(files), baseline="twine upload")
            return
        tools: dict[str, Callable[[str], list[str]]] = {
            "hwb publish": lambda url: [sys.executable, "-m", "hwb_action", "publish", "-r", url,
                                        "--username", "uploader", "--password", PASSWORD,
                                        *files],
            "uv publish": lambda url: [uv, "publish", "--quiet", "--publish-url", url,
                                       "-u", "uploader", "-p", PASSWORD, *files],
            "twine upload": lambda url: [sys.executable, "-m", "twine", "upload",
                                         "--repository-url", url, "-u", "uploader", "-p",
                                         PASSWORD, "--disable-progress-bar", "--non-interactive",
                                         *files],
        }
        counter = iter(range(1_000_000))
        for latency in (float(v) for v in args.latency.split(",")):

            def one(name: str, latency: float = latency) -> float:
                server = PypiServer(work / f"srv-{next(counter)}", {"uploader": PASSWORD})
                server.start()
                try:
                    if latency:
                        with LatencyProxy(server.url, latency) as proxy:
                            elapsed = time_command(tools[name](proxy.url), cwd=tmp, env=env)
                    else:
                        elapsed = time_command(tools[name](server.url), cwd=tmp, env=env)
                    uploaded = len(list(server.packages.iterdir()))
                    if uploaded != len(files):
                        raise SystemExit(f"{name} uploaded {uploaded} of {len(files)} files")
                finally:
                    server.stop()
                    shutil.rmtree(server.root, ignore_errors=True)
                return elapsed

            contenders: dict[str, Callable[[], float]] = {
                name: functools.partial(one, name) for name in tools}
            samples = alternate(contenders, args.runs)
            where = (f"behind a proxy holding each request {latency * 1000:g} ms" if latency
                     else "local index")
            print(f"\n## {len(files)} files, {where}, median of {args.runs}", flush=True)
            print(report(samples, baseline="uv publish", subject="hwb publish"))
            print(report({k: samples[k] for k in ("hwb publish", "twine upload")},
                         baseline="twine upload", subject="hwb publish").splitlines()[-1],
                  flush=True)


def attest_premade(dists: list[Path], work: Path) -> list[Path]:
    """Sign ``dists`` with the Sigstore stand-ins and write ``DIST.publish.attestation``
    beside each (what a signing step before the publish leaves)."""
    import json

    from sigstore.models import ClientTrustConfig

    from hwb_action import attestation_files
    from hwb_action.artifacts import check_files
    from hwb_action.ci import NullReporter
    from hwb_action.publish import attest
    from tests.sigstore_support import SigstoreStandIns

    with SigstoreStandIns() as sigstore:
        config = ClientTrustConfig.from_json(
            sigstore.trust_config(work / "trust-config.json").read_text())
        arts = check_files(dists).artifacts
        made = attest.sign(arts, token=sigstore.state.issue_token("sigstore"), config=config,
                           reporter=NullReporter())
    out = []
    for art in arts:
        path = attestation_files.premade_path(art.path)
        path.write_text(json.dumps(made[art.filename]))
        out.append(path)
    return out


def run_rounds(tools: dict[str, Callable[[str], list[str]]], args: argparse.Namespace,
               work: Path, env: dict[str, str], count: int, *, baseline: str) -> None:
    """Each tool against a fresh pypiserver (behind the proxy), alternating; the medians."""
    counter = iter(range(1_000_000))
    for latency in (float(v) for v in args.latency.split(",")):

        def one(name: str, latency: float = latency) -> float:
            server = PypiServer(work / f"srv-{next(counter)}", {"uploader": PASSWORD})
            server.start()
            try:
                if latency:
                    with LatencyProxy(server.url, latency) as proxy:
                        elapsed = time_command(tools[name](proxy.url), cwd=str(work), env=env)
                else:
                    elapsed = time_command(tools[name](server.url), cwd=str(work), env=env)
                uploaded = len(list(server.packages.iterdir()))
                if uploaded != count:
                    raise SystemExit(f"{name} uploaded {uploaded} of {count} files")
            finally:
                server.stop()
                shutil.rmtree(server.root, ignore_errors=True)
            return elapsed

        samples = alternate({name: functools.partial(one, name) for name in tools}, args.runs)
        where = (f"behind a proxy holding each request {latency * 1000:g} ms" if latency
                 else "local index")
        print(f"\n## {count} files with pre-made attestations, {where}, median of "
              f"{args.runs}", flush=True)
        print(report(samples, baseline=baseline, subject="hwb publish"), flush=True)


if __name__ == "__main__":
    main()
