"""coordkit.report layer."""
