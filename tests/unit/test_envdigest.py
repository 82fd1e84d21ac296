"""The record of a cached build environment: a changed environment is never verified."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from hwb_action.builder.envdigest import (
    MANIFEST,
    READY,
    changed_since,
    content_manifest,
    verify,
    write_record,
)
from hwb_action.ci import NullReporter


def make_env(root: Path) -> Path:
    site = root / "lib" / "python3.12" / "site-packages"
    (site / "pkg").mkdir(parents=True)
    (site / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    (root / "bin").mkdir()
    (root / "bin" / "tool").write_text("#!/bin/sh\n")
    (root / "bin" / "tool").chmod(0o755)
    (root / "bin" / "python").symlink_to("/usr/bin/python3")
    (root / "pyvenv.cfg").write_text("home = /usr/bin\n")
    write_record(root, requires=["pkg"], python="/usr/bin/python3")
    return site


def warnings(reporter: NullReporter) -> str:
    return "\n".join(reporter.lines)


def test_unchanged_environment_is_verified(tmp_path: Path) -> None:
    make_env(tmp_path)
    reporter = NullReporter()
    first = verify(tmp_path, reporter)
    assert first is not None
    # hwb's own files at the top (the hook server's preload list) are not part of it.
    (tmp_path / ".hwb-preload.json").write_text("[]")
    assert verify(tmp_path, reporter) == first
    assert changed_since(tmp_path, first) is None


def test_planted_file_is_named_and_refused(tmp_path: Path) -> None:
    site = make_env(tmp_path)
    verified = verify(tmp_path, NullReporter())
    assert verified is not None
    (site / "evil.pth").write_text("import os\n")
    assert changed_since(tmp_path, verified) == \
        "added lib/python3.12/site-packages/evil.pth"
    reporter = NullReporter()
    assert verify(tmp_path, reporter) is None
    assert "evil.pth" in warnings(reporter)


def test_edit_with_times_put_back_is_seen(tmp_path: Path) -> None:
    site = make_env(tmp_path)
    verified = verify(tmp_path, NullReporter())
    assert verified is not None
    module = site / "pkg" / "__init__.py"
    before = module.stat()
    module.write_text("VALUE = 2\n")  # same size
    os.utime(module, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert changed_since(tmp_path, verified) == \
        "changed lib/python3.12/site-packages/pkg/__init__.py"


def test_mode_and_link_changes_are_seen(tmp_path: Path) -> None:
    make_env(tmp_path)
    verified = verify(tmp_path, NullReporter())
    assert verified is not None
    (tmp_path / "bin" / "python").unlink()
    (tmp_path / "bin" / "python").symlink_to("/tmp/evil-python")
    (tmp_path / "bin" / "tool").chmod(0o777)
    assert changed_since(tmp_path, verified) == "changed bin/python, bin/tool"


def test_forged_record_is_caught_after_use(tmp_path: Path) -> None:
    """A build that writes a file and re-records the environment passes the on-disk check,
    but not the comparison with what hwb verified in memory before the build."""
    site = make_env(tmp_path)
    verified = verify(tmp_path, NullReporter())
    assert verified is not None
    (site / "evil.pth").write_text("import os\n")
    write_record(tmp_path, requires=["pkg"], python="/usr/bin/python3")
    assert verify(tmp_path, NullReporter()) is not None  # the forgery fools the record...
    assert changed_since(tmp_path, verified) is not None  # ...not the memory


def test_restored_copy_is_resealed_not_rebuilt(tmp_path: Path) -> None:
    """A cache restored from an archive has new inodes and ctimes but the same bytes."""
    make_env(tmp_path / "a")
    shutil.copytree(tmp_path / "a", tmp_path / "b", symlinks=True)
    reporter = NullReporter()
    verified = verify(tmp_path / "b", reporter)
    assert verified is not None
    assert "changed" not in warnings(reporter)
    assert verify(tmp_path / "b", reporter) == verified  # re-sealed: the fast path again


def test_missing_or_old_record_means_rebuild(tmp_path: Path) -> None:
    make_env(tmp_path)
    (tmp_path / READY).write_text('{"requires": [], "python": "x", "created": 1}')
    reporter = NullReporter()
    assert verify(tmp_path, reporter) is None
    assert "no record of its content" in warnings(reporter)
    (tmp_path / READY).unlink()
    assert verify(tmp_path, reporter) is None


def test_manifest_skips_own_files_and_records_kinds(tmp_path: Path) -> None:
    make_env(tmp_path)
    manifest = content_manifest(tmp_path)
    assert READY not in manifest
    assert MANIFEST not in manifest
    assert manifest["bin/python"] == "link:/usr/bin/python3"
    assert manifest["bin/tool"].startswith("file:755:")
    assert manifest["lib"].startswith("dir:")
