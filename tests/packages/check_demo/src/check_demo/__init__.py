"""check-demo."""

VALUE = 1
