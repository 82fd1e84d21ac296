from setuptools import Extension, setup

setup(ext_modules=[Extension("cext_broken._broken", sources=["src/cext_broken/_broken.c"])])
