"""action-demo."""

__version__ = "1.0.0"
