from setuptools import setup

setup(
    name="legacy-pkg",
    version="0.3.1",
    packages=["legacy_pkg"],
    python_requires=">=3.8",
    long_description="Legacy *setup.py* project.",
    long_description_content_type="text/markdown",
)
