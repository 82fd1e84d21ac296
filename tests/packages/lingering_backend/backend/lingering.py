"""setuptools' backend, plus a process left running (or a hang) on request."""

import os
import subprocess
import sys
import time

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403


def _linger(config_settings):
    pidfile = (config_settings or {}).get("pidfile")
    if pidfile:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
        with open(pidfile, "a") as fh:
            fh.write(f"{child.pid}\n")


def _theirs(config_settings):
    ours = ("pidfile", "hang", "pidfile-self")
    return {k: v for k, v in (config_settings or {}).items() if k not in ours} or None


def build_sdist(sdist_directory, config_settings=None):
    if (config_settings or {}).get("hang"):
        with open(config_settings["pidfile-self"], "w") as fh:
            fh.write(str(os.getpid()))
        time.sleep(300)
    _linger(config_settings)
    return _setuptools.build_sdist(sdist_directory, _theirs(config_settings))


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _linger(config_settings)
    return _setuptools.build_wheel(wheel_directory, _theirs(config_settings),
                                   metadata_directory)
