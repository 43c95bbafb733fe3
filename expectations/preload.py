"""Imported once by the fork server of the validation workers (`warehouse.ingest`): Great Expectations
(≈ 6 s to import), its ephemeral context and every registered reader are loaded there, and each worker
forked from that single-threaded server starts with them."""

from expectations.runner import prepare
from ingestion.registry import load_registry

prepare()
for source in load_registry().values():
    for fmt in source.formats:
        fmt.load_reader()
