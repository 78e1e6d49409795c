"""coordkit.model layer."""
