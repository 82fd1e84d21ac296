"""check-demo built by setuptools."""

__version__ = "2.0.1"
