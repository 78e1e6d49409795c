"""coordkit.ingest layer."""
