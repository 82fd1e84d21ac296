"""'Did you mean' suggestions for misspelled keys and values."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def _normal(word: str) -> str:
    return word.strip().lower().replace("_", "-")


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest choice, or ``""``.

    A choice that differs only in case, ``_`` for ``-`` or surrounding spaces wins over the
    closest spelling (``UV`` -> ``uv``, ``out_dir`` -> ``out-dir``).
    """
    options = [c for c in choices if c]
    same = [c for c in options if _normal(c) == _normal(word)]
    if same and same[0] != word:
        return f" (did you mean {same[0]!r}?)"
    matches = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not matches:
        lowered = {c.lower(): c for c in options}
        found = difflib.get_close_matches(_normal(word), list(lowered), n=1, cutoff=0.6)
        matches = [lowered[found[0]]] if found else []
    return f" (did you mean {matches[0]!r}?)" if matches else ""
