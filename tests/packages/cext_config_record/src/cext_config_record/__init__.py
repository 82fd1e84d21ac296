"""A tiny C extension; ``config_settings.json`` next to it says what its backend got."""

from cext_config_record._add import add

__all__ = ["add"]
