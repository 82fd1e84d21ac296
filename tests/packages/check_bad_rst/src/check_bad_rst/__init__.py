"""check-bad-rst."""
