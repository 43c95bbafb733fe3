"""Owner of the DuckDB warehouse: workspace layout, the single writer, the run (plan, ingest, build, publish)
and its atomic publication. Code only: workspaces live under `var/`.
"""
