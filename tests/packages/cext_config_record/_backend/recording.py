"""setuptools, recording the PEP 517 config settings of each wheel build in the wheel.

The tests read ``cext_config_record/config_settings.json`` from the built wheel to see what
reached the backend, wherever it ran (a container, through cibuildwheel).  setuptools itself
gets no settings: the recorded keys are the test's, not options for it.
"""

import json
from pathlib import Path

from setuptools import build_meta as _setuptools

RECORD = Path("src") / "cext_config_record" / "config_settings.json"


def get_requires_for_build_sdist(config_settings=None):
    return _setuptools.get_requires_for_build_sdist(None)


def build_sdist(sdist_directory, config_settings=None):
    return _setuptools.build_sdist(sdist_directory, None)


def get_requires_for_build_wheel(config_settings=None):
    return _setuptools.get_requires_for_build_wheel(None)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    RECORD.write_text(json.dumps(config_settings or {}, sort_keys=True))
    return _setuptools.build_wheel(wheel_directory, None, metadata_directory)
