"""An in-tree backend whose wheel hook prints the config settings it got, then fails."""

import json
import sys


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    print("CONFIG=" + json.dumps(config_settings, sort_keys=True), file=sys.stderr)
    raise SystemExit(3)
