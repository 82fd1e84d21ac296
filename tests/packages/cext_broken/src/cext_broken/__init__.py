"""Never importable: its extension does not compile."""
