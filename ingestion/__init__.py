"""Plain-Python ingestion (no Airflow imports): registry, reference facts, readers, landing zone, downloads.
Validation suites live in expectations/; warehouse/ingest.py runs read → validate → stage → land for a run."""
