"""Version from the git tag."""
