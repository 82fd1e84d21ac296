"""check-demo built by pdm."""

__version__ = "2.0.1"
