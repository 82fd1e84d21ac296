from setuptools import Extension, setup

setup(ext_modules=[Extension("demo._x", sources=["src/demo/_x.c"])])
