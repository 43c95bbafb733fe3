"""The demonstration: synthetic inputs in the published layouts and `bin/pacte demo` (`python -m demo`).

Production code (ingestion/, expectations/, warehouse/, dags/) never imports this package: it learns that a
file is synthetic only from the lineage flag the demo records next to it (`demo.inputs.mark_synthetic`).
"""
