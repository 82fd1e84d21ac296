from setuptools import Extension, setup

setup(ext_modules=[Extension("cext_simple._add", sources=["src/cext_simple/_add.c"])])
