"""Layout checks (check-wheel-contents), stray files in sdists, the README verdict cache,
the parallel reading of several files, and the summary: on real builds of
tests/packages/check_demo and on copies with one defect each."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from hwb_action import _readme
from hwb_action._contents import check_summary, contents_tree
from hwb_action.artifacts import check_artifact, check_files, inspect_artifact
from tests.artifacts_support import (
    build_dists,
    rewrite_wheel,
    sdist_members,
    tar_file,
    wheel_members,
    write_sdist,
    write_wheel,
)

WHEEL = "check_demo-1.0-py3-none-any.whl"
SDIST = "check_demo-1.0.tar.gz"
DI = "check_demo-1.0.dist-info"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return build_dists("check_demo", tmp_path_factory.mktemp("good"))


def layout_codes(path: Path) -> dict[str, str | None]:
    """check-wheel-contents code -> the member named as where it is."""
    result = inspect_artifact(path, layout=True)
    return {f.code: f.member for f in result.findings if f.code}


def test_good_wheel_has_no_layout_warnings(built: tuple[Path, Path]) -> None:
    result = inspect_artifact(built[1], layout=True)
    assert result.artifact is not None
    assert result.warnings == ()


def test_layout_checks_are_off_unless_asked(built: tuple[Path, Path], tmp_path: Path) -> None:
    # check_artifact is on the path of every build: it stays without the layout checks.
    dest = rewrite_wheel(built[1], tmp_path / WHEEL,
                         lambda m: m.update({"tests/__init__.py": b""}))
    assert check_artifact(dest).warnings == ()
    assert "W005" in layout_codes(dest)


def test_top_level_tests_package_pyc_and_duplicates(built: tuple[Path, Path],
                                                    tmp_path: Path) -> None:
    def spoil(m: dict[str, bytes]) -> None:
        m["tests/__init__.py"] = b""
        m["tests/test_x.py"] = b"def test(): pass\n"
        m["check_demo/__pycache__/__init__.cpython-311.pyc"] = b"\x00bytecode"
        m["check_demo/copy.py"] = m["check_demo/__init__.py"]

    dest = rewrite_wheel(built[1], tmp_path / WHEEL, spoil)
    codes = layout_codes(dest)
    assert codes["W005"] == "tests"
    assert codes["W001"] == "check_demo/__pycache__/__init__.cpython-311.pyc"
    assert codes["W002"] in ("check_demo/__init__.py", "check_demo/copy.py")
    result = inspect_artifact(dest, layout=True)
    assert result.artifact is not None  # warnings do not fail
    w005 = [w for w in result.warnings if "W005" in w]
    assert len(w005) == 1  # each once, not per file
    assert w005[0].startswith(f"{WHEEL}: W005 Wheel contains common toplevel name")


def test_modules_outside_the_package(built: tuple[Path, Path], tmp_path: Path) -> None:
    def spoil(m: dict[str, bytes]) -> None:
        m["notes.txt"] = b"left over\n"  # a non-module at the top of site-packages
        m["check_demo/not-importable/mod.py"] = b"X = 1\n"  # not a valid module path

    codes = layout_codes(rewrite_wheel(built[1], tmp_path / WHEEL, spoil))
    assert codes["W003"] == "notes.txt"
    assert codes["W004"] == "check_demo/not-importable/mod.py"


def test_empty_wheel(built: tuple[Path, Path], tmp_path: Path) -> None:
    members = {n: d for n, d in wheel_members(built[1]).items() if n.startswith(DI)}
    codes = layout_codes(write_wheel(tmp_path / WHEEL, members))
    assert {"W007", "W008"} <= set(codes)


def test_stray_files_in_sdist(built: tuple[Path, Path], tmp_path: Path) -> None:
    top = "check_demo-1.0"
    strays = [tar_file(f"{top}/{n}", b"x") for n in (
        "build.log", ".DS_Store", "src/check_demo/__pycache__/a.cpython-311.pyc",
        "src/check_demo/__pycache__/b.cpython-311.pyc", ".git/config", ".git/HEAD",
        "README.rst.swp", "setup.py~", ".coverage", ".tox/py311/log.txt")]
    dest = write_sdist(tmp_path / SDIST, [*sdist_members(built[0]), *strays])
    result = inspect_artifact(dest)
    assert result.artifact is not None
    stray = {f.member: f.text for f in result.findings if "stray file" in f.text}
    assert set(stray) == {
        f"{top}/.git",  # the directory once, not each file in it
        f"{top}/.tox",
        f"{top}/src/check_demo/__pycache__",  # before the *.pyc rule: the cache dir
        f"{top}/build.log",
        f"{top}/.coverage",
        f"{top}/README.rst.swp",
        f"{top}/.DS_Store",
    }, stray
    assert "and 1 more" in stray[f"{top}/README.rst.swp"]  # setup.py~ is the same kind
    assert sum("compiled bytecode" in t for t in stray.values()) == 0


def test_clean_sdist_has_no_stray_warning(built: tuple[Path, Path]) -> None:
    assert inspect_artifact(built[0]).warnings == ()


def test_safe_symlink_in_sdist_passes(built: tuple[Path, Path], tmp_path: Path) -> None:
    link = tarfile.TarInfo("check_demo-1.0/docs/README.rst")
    link.type = tarfile.SYMTYPE
    link.linkname = "../README.rst"
    dest = write_sdist(tmp_path / SDIST, [*sdist_members(built[0]), (link, None)])
    assert check_artifact(dest).name == "check-demo"


@pytest.mark.parametrize(("kind", "target", "why"), [
    (tarfile.SYMTYPE, "../../outside", "leaves the tree"),
    (tarfile.LNKTYPE, "/etc/passwd", "hard link"),
    (tarfile.FIFOTYPE, "", "special file"),
])
def test_unsafe_links_in_sdist(built: tuple[Path, Path], tmp_path: Path, kind: bytes,
                               target: str, why: str) -> None:
    member = tarfile.TarInfo("check_demo-1.0/evil")
    member.type = kind
    member.linkname = target
    dest = write_sdist(tmp_path / SDIST, [*sdist_members(built[0]), (member, None)])
    problems = inspect_artifact(dest).problems
    assert len(problems) == 1, problems
    assert "unsafe member 'check_demo-1.0/evil'" in problems[0]
    assert why in problems[0]


def test_parallel_and_serial_reports_agree(built: tuple[Path, Path], tmp_path: Path) -> None:
    bad = rewrite_wheel(built[1], tmp_path / "bad" / WHEEL,
                        lambda m: m.update({"check_demo/x.py": b""}), fix_record=False)
    paths = [built[0], bad, built[1]]
    serial = check_files(paths, layout=True, jobs=1)
    parallel = check_files(paths, layout=True, jobs=3)
    assert serial.problems == parallel.problems
    assert serial.warnings == parallel.warnings
    assert [i.path for i in parallel.inspections] == paths  # in the order given
    assert list(parallel.problems) == [WHEEL]


def test_readme_verdicts_are_kept_on_disk(tmp_path: Path) -> None:
    sdist, wheel = build_dists("check_bad_rst", tmp_path / "dists")
    cache = tmp_path / "cache"
    _readme.forget()  # earlier tests rendered this README in this process
    first = check_files([sdist, wheel], readme_cache=cache)
    assert len(list(cache.glob("*/*"))) == 1  # one README, rendered once for both files
    # A new process finds the verdict and does not import the renderer at all.
    script = ("import sys, json\n"
              "from pathlib import Path\n"
              "from hwb_action.artifacts import check_files\n"
              "r = check_files(sys.argv[1:3], readme_cache=Path(sys.argv[3]))\n"
              "print(json.dumps([r.problems, 'readme_renderer' in sys.modules]))\n")
    done = subprocess.run([sys.executable, "-c", script, str(sdist), str(wheel), str(cache)],
                          capture_output=True, text=True, check=True)
    import json

    problems, imported = json.loads(done.stdout)
    assert problems == first.problems
    assert any("would not be rendered on PyPI: line 7" in p for p in problems[sdist.name])
    assert imported is False


def test_damaged_verdict_is_rendered_again(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    readme = _readme.Readme("Title\n=====\n\nfine\n")
    _readme.forget()
    assert _readme.judge([readme], cache)[readme].rendered
    (entry,) = cache.glob("*/*")
    entry.write_text("not json")
    _readme.forget()
    assert _readme.judge([readme], cache)[readme].rendered
    assert entry.read_text().startswith("{")


def test_contents_tree() -> None:
    tree = contents_tree({"pkg/__init__.py": 12, "pkg/sub/a.py": 2048, "top.py": 1,
                          "pkg/z.txt": 0})
    assert tree.splitlines() == [
        "pkg/", "  sub/", "    a.py  (2.0 KiB)", "  __init__.py  (12 B)", "  z.txt  (0 B)",
        "top.py  (1 B)"]
    many = contents_tree({f"f{i:03}": 1 for i in range(10)}, limit=4)
    assert many.splitlines()[-1] == "... 6 more lines"


def test_summary_renders_as_commonmark(built: tuple[Path, Path], tmp_path: Path) -> None:
    from markdown_it import MarkdownIt

    odd = rewrite_wheel(built[1], tmp_path / WHEEL,
                        lambda m: m.update({"check_demo/``` fence.txt": b"x"}))
    report = check_files([built[0], odd], layout=True)
    markdown = check_summary(report.inspections)
    html = MarkdownIt("commonmark").render(markdown)
    assert html.count("<h3>hwb check</h3>") == 1
    assert html.count("<h4>Metadata</h4>") == 1
    assert html.count("<details>") == 2  # one collapsible tree per file
    assert f"<summary>{SDIST}: " in html
    assert "``` fence.txt  (1 B)" in html  # the fence outlasts backticks in names
    assert "check-demo" in html
    assert ">=3.9" in html.replace("&gt;", ">")


def _member_data_offset(path: Path, name: str) -> tuple[int, int]:
    """Where a member's compressed bytes start in the archive, and how many there are."""
    import struct
    import zipfile

    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    raw = path.read_bytes()
    name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26:
                                                  info.header_offset + 30])
    return info.header_offset + 30 + name_len + extra_len, info.compress_size


def test_corrupt_deflated_member(built: tuple[Path, Path], tmp_path: Path) -> None:
    def big(m: dict[str, bytes]) -> None:
        m["check_demo/data.txt"] = b"".join(b"line %d of some text\n" % i for i in range(4000))

    dest = rewrite_wheel(built[1], tmp_path / WHEEL, big)
    start, length = _member_data_offset(dest, "check_demo/data.txt")
    raw = bytearray(dest.read_bytes())
    raw[start + length // 2] ^= 0x55
    dest.write_bytes(bytes(raw))
    result = inspect_artifact(dest)
    assert [f.member for f in result.findings] == ["check_demo/data.txt"], result.problems
    assert "corrupt zip member 'check_demo/data.txt'" in result.problems[0]


def test_member_longer_than_its_declared_size(built: tuple[Path, Path], tmp_path: Path) -> None:
    # The directory says 10 bytes; the deflated stream holds 100,000. Inflating stops there.
    members = wheel_members(built[1])
    members["check_demo/data.txt"] = b"x" * 100_000
    dest = write_wheel(tmp_path / WHEEL, members)
    raw = bytearray(dest.read_bytes())
    entry = raw.index(b"check_demo/data.txt", raw.index(b"PK\x01\x02")) - 46
    assert raw[entry:entry + 4] == b"PK\x01\x02"  # its central-directory entry
    raw[entry + 24:entry + 28] = (10).to_bytes(4, "little")  # the uncompressed size
    dest.write_bytes(bytes(raw))
    result = inspect_artifact(dest)
    assert any("corrupt zip member 'check_demo/data.txt'" in p for p in result.problems), \
        result.problems


def test_trees_stay_within_the_summary_budget() -> None:
    files = {f"pkg/module_{i:05}.py": 100 for i in range(20_000)}
    tree = contents_tree(files, limit=100_000, max_chars=10_000)
    assert len(tree) < 10_100
    assert tree.splitlines()[-1].endswith("more lines")
    assert contents_tree(files, max_chars=0).splitlines() == ["... 20001 more lines"]
