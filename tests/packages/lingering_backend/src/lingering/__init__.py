"""Nothing to see."""
