"""Where hwb keeps what it caches (build environments, README verdicts): one answer for the
builder and ``hwb check``, in a module light enough for ``hwb check`` to import."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def default_cache_dir(environ: Mapping[str, str]) -> Path:
    """``HWB_CACHE_DIR``, else the platform's user cache dir for hwb."""
    explicit = environ.get("HWB_CACHE_DIR")
    if explicit:
        return Path(explicit)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("hwb", appauthor=False))
