"""A build backend whose build_wheel answer is hostile or broken, by -C mode=..."""

import os
import zipfile

NAME = "hostile-1.0-py3-none-any.whl"


def _wheel(path):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hostile-1.0.dist-info/METADATA",
                    "Metadata-Version: 2.1\nName: hostile\nVersion: 1.0\n")


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    settings = config_settings or {}
    mode = settings.get("mode", "")
    if mode == "dotdot":
        # a wheel made next to the output directory, named through ".."
        _wheel(os.path.join(os.path.dirname(wheel_directory), NAME))
        return "../" + NAME
    if mode == "absolute":
        # a file somewhere else on the machine, which hwb would move and delete
        return settings["target"]
    if mode == "symlink":
        outside = os.path.join(os.path.dirname(wheel_directory), "outside.whl")
        _wheel(outside)
        os.symlink(outside, os.path.join(wheel_directory, NAME))
        return NAME
    if mode == "none":
        _wheel(os.path.join(wheel_directory, NAME))
        return None
    if mode == "missing":
        return NAME
    if mode == "directory":
        os.mkdir(os.path.join(wheel_directory, NAME))
        return NAME
    _wheel(os.path.join(wheel_directory, NAME))
    return NAME
