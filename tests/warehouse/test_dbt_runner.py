"""warehouse/adapter_shim.py: the one poke into dbt-duckdb's private state, pinned to the installed version."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from warehouse import adapter_shim


def test_the_shim_is_written_for_the_installed_dbt_duckdb() -> None:
    # A new dbt-duckdb may keep its DuckDB handle elsewhere: read the shim against its source, then update the pin.
    assert version("dbt-duckdb") == adapter_shim.PINNED_DBT_DUCKDB


def test_release_closes_the_handle_dbt_duckdb_would_reuse(monkeypatch: pytest.MonkeyPatch) -> None:
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    # Another test of this process (a dbt invocation outside the shim) may have left its handle: set aside.
    monkeypatch.setattr(DuckDBConnectionManager, "_ENV", None)

    closed: list[bool] = []

    class Environment:  # what dbt-duckdb keeps in _ENV between invocations of one process
        def close(self) -> None:
            closed.append(True)

    DuckDBConnectionManager._ENV = Environment()
    with adapter_shim.own_duckdb_handle():
        assert closed == [True] and DuckDBConnectionManager._ENV is None
        DuckDBConnectionManager._ENV = Environment()  # the build opens its own
    assert closed == [True, True] and DuckDBConnectionManager._ENV is None
