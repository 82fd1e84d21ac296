"""Test package: libbz2's version and a few random bytes from getrandom(2)."""

from cext_bz2._bz import bzlib_version, random_bytes

__all__ = ["bzlib_version", "random_bytes"]
