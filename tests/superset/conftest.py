"""Fixtures for the Superset dashboard tests: the served file is the real output of the demo pipeline."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def served_db(demo_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the demo's published warehouse (the lock test opens it read-write)."""
    target = tmp_path_factory.mktemp("serving") / "pacte.duckdb"
    shutil.copyfile(demo_ws / "serving" / "pacte.duckdb", target)
    return target.resolve()
