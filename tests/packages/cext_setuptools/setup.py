from setuptools import Extension, setup

setup(
    ext_modules=[Extension("cext_setuptools._speed", ["src/cext_setuptools/_speed.c"])],
    package_dir={"": "src"},
    packages=["cext_setuptools"],
)
