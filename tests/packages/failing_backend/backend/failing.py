"""An in-tree backend whose wheel hook fails, to test error reporting."""

import sys


def build_sdist(sdist_directory, config_settings=None):
    import tarfile, io, os
    name = "failing_backend-1.0"
    path = os.path.join(sdist_directory, name + ".tar.gz")
    with tarfile.open(path, "w:gz") as tar:
        for rel in ("pyproject.toml", "backend/failing.py"):
            tar.add(rel, arcname=name + "/" + rel)
        data = b"Metadata-Version: 2.1\nName: failing-backend\nVersion: 1.0\n"
        info = tarfile.TarInfo(name + "/PKG-INFO")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return name + ".tar.gz"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    print("compiling frobnicator...")
    print("error: frobnicator.c:12: undefined reference to `quux'", file=sys.stderr)
    raise SystemExit(3)
