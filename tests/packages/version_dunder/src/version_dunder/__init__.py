"""A package whose version lives in __version__."""

__all__ = ["__version__"]
__version__: str = "2.0.0"  # bumped by hwb release
VERSION_NOTE = "__version__ = \"x\" in a string is not matched"
