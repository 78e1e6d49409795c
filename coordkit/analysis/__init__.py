"""coordkit.analysis layer."""
