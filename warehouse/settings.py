"""Orchestration facts declared once (standard library only: the DAG files import it at parse time)."""

from __future__ import annotations

TZ = "Europe/Paris"
START_DATE = (2024, 1, 1)  # of every DAG, in TZ
# Every warehouse writer (land, build, publish) takes this Airflow pool: one slot, DuckDB has one writer.
POOL = "entrepot_duckdb"
POOL_DESCRIPTION = "Écrivains de l'entrepôt DuckDB (un à la fois)"
# In <workspace>/state/: the French summary of the last failed Airflow task, shown by `bin/pacte status`.
FAILURE_FILE = "derniere_erreur.json"
