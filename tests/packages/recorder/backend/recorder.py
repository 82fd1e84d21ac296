"""An in-tree backend that records what it was given into what it builds.

Each distribution holds ``recorder-NAME.json`` (NAME: sdist or wheel) with the config
settings the hook got and, when it can be imported, ``pinned_dep.VERSION`` (a build
requirement a test installs from its own wheelhouse).  With ``RECORDER_GATE`` set, the wheel
hook prints a line, waits until that file exists (the test creates it once it has read the
line from hwb's output), and records whether it did: proof that the line was shown while
the backend still ran.  With ``RECORDER_RANDOM`` set, each build records a random value.
"""

import base64
import hashlib
import io
import json
import os
import sys
import tarfile
import time
import zipfile

NAME = "recorder"
VERSION = "1.0"
METADATA = f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n"


def _record(kind, config_settings):
    data = {"config_settings": config_settings}
    try:
        import pinned_dep

        data["pinned_dep"] = pinned_dep.VERSION
    except ImportError:
        data["pinned_dep"] = None
    if os.environ.get("RECORDER_RANDOM"):
        data["random"] = os.urandom(8).hex()  # a build that is not reproducible
    gate = os.environ.get("RECORDER_GATE")
    if gate and kind == "wheel":
        print("recorder: first line", flush=True)
        deadline = time.monotonic() + 120
        while not os.path.exists(gate) and time.monotonic() < deadline:
            time.sleep(0.05)
        data["gate_seen"] = os.path.exists(gate)
        print("recorder: second line", flush=True)
    return json.dumps(data, sort_keys=True).encode()


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def _hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode()},{len(data)}"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name = f"{NAME}-{VERSION}-py3-none-any.whl"
    info = f"{NAME}-{VERSION}.dist-info"
    files = {
        f"{NAME}_pkg/__init__.py": b"",
        f"{NAME}_pkg/recorder-wheel.json": _record("wheel", config_settings),
        f"{info}/METADATA": METADATA.encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: recorder\nRoot-Is-Purelib: true\n"
                         b"Tag: py3-none-any\n",
    }
    record = "".join(f"{path},{_hash(data)}\n" for path, data in files.items())
    record += f"{info}/RECORD,,\n"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
        zf.writestr(f"{info}/RECORD", record)
    return name


def build_sdist(sdist_directory, config_settings=None):
    base = f"{NAME}-{VERSION}"
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    files = {
        f"{base}/PKG-INFO": METADATA.encode(),
        f"{base}/recorder-sdist.json": _record("sdist", config_settings),
    }
    with open(os.path.join(root, "pyproject.toml"), "rb") as fh:
        files[f"{base}/pyproject.toml"] = fh.read()
    for name in sorted(os.listdir(here)):
        if name.endswith(".py"):
            with open(os.path.join(here, name), "rb") as fh:
                files[f"{base}/backend/{name}"] = fh.read()
    name = f"{base}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as tf:
        for path, data in files.items():
            member = tarfile.TarInfo(path)
            member.size = len(data)
            member.mtime = 0
            tf.addfile(member, io.BytesIO(data))
    return name


if __name__ == "__main__":
    sys.exit("not a script")
