"""check-demo built by flit."""

__version__ = "2.0.1"
