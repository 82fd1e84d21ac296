"""Flit package."""
