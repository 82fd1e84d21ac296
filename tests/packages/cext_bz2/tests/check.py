"""The test-command for cext_bz2: import the installed wheel and call into libbz2 and glibc."""

import cext_bz2

assert cext_bz2.bzlib_version().startswith("1.0"), cext_bz2.bzlib_version()
assert len(cext_bz2.random_bytes(16)) == 16
print("cext_bz2 ok:", cext_bz2.bzlib_version())
