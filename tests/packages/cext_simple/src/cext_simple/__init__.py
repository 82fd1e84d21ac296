"""A tiny C extension: one function implemented in C."""

from cext_simple._add import add

__all__ = ["add"]
