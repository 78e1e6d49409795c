"""coordkit.present layer."""
