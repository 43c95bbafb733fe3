"""The one place that touches dbt-duckdb's private state, for the version pinned in lock/pipeline.lock.txt
(tests/warehouse/test_dbt_runner.py fails when another version is installed: check this shim, then update the pin).

dbt-duckdb keeps its DuckDB handle in a class attribute (`DuckDBConnectionManager._ENV`), reused by the next
invocation in the same process when the profile is the same — and with the relative build path it always is.
Releasing it before and after each build makes every build open, then close, its own file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

PINNED_DBT_DUCKDB = "1.11.1"


def release_duckdb_handle() -> None:
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    env = DuckDBConnectionManager._ENV
    DuckDBConnectionManager.close_all_connections()  # forgets _ENV without closing it
    if env is not None:
        env.close()


@contextmanager
def own_duckdb_handle() -> Iterator[None]:
    release_duckdb_handle()
    try:
        yield
    finally:
        release_duckdb_handle()
