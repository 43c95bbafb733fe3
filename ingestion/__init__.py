"""Plain-Python ingestion (no Airflow imports): registry, readers, validation, landing."""
