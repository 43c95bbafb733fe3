"""Owner of the DuckDB warehouse: workspace layout, the single writer, builds and atomic publication.

This folder is also the default workspace: its data sub-folders are git-ignored.
"""
