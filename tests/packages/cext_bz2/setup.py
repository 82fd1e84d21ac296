from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("cext_bz2._bz", sources=["src/cext_bz2/_bz.c"], libraries=["bz2"]),
    ],
)
