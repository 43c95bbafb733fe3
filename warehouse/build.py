"""Build a fresh warehouse file off to the side: raw tables from landing, then `dbt build` into it."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingestion.errors import ErreurPacte
from ingestion.landing import LINEAGE_SCHEMA
from ingestion.registry import landing_schemas
from warehouse.workspace import REPO_ROOT, Workspace

DBT_PROJECT = REPO_ROOT / "dbt_project"
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


@dataclass
class BuildResult:
    path: Path
    nb_tests: int
    nb_modeles: int
    codes_non_rattaches: int


def load_raw(ws: Workspace, path: Path) -> None:
    """Create schema `raw` with one view per landing entity (an empty table when nothing was landed).

    Views, not copies: staging reads each Parquet file once anyway, and copying national files into the
    build cost 7-12 s per run. Landed files are immutable (named by checksum), so the views stay valid."""
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        for entity, columns in landing_schemas().items():
            files = ws.landing.files_for(entity)
            if files:
                listing = ", ".join(f"'{f}'" for f in files)
                con.execute(f"CREATE OR REPLACE VIEW raw.{entity} AS "
                            f"SELECT * FROM read_parquet([{listing}], union_by_name = true)")
            else:
                cols = ", ".join(f"{c} {t}" for c, t in {**columns, **LINEAGE_SCHEMA}.items())
                con.execute(f"CREATE OR REPLACE TABLE raw.{entity} ({cols})")


def run_dbt(path: Path, variables: dict[str, object], work_dir: Path) -> tuple[int, int]:
    from dbt.cli.main import dbtRunner

    env_before = os.environ.get("PACTE_BUILD_DB")
    os.environ["PACTE_BUILD_DB"] = str(path)
    try:
        res = dbtRunner().invoke([
            "build", "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
            "--target-path", str(work_dir / "dbt_target"), "--log-path", str(work_dir / "dbt_logs"),
            "--vars", json.dumps(variables), "--quiet", "--no-use-colors",
        ])
    finally:
        if env_before is None:
            os.environ.pop("PACTE_BUILD_DB", None)
        else:
            os.environ["PACTE_BUILD_DB"] = env_before
    results = list(res.result or []) if res.result is not None else []
    failed = [r for r in results if str(r.status) in {"error", "fail"}]
    if not res.success or failed:
        detail = "; ".join(f"{r.node.name} : {r.message}" for r in failed[:8]) or str(res.exception)
        raise ErreurPacte(f"La construction dbt a échoué ({len(failed)} erreur(s)) : {detail}. "
                          f"Journal : {work_dir / 'dbt_logs' / 'dbt.log'}")
    tests = sum(1 for r in results if r.node.resource_type == "test")
    return len(results) - tests, tests


def build(ws: Workspace, run_id: str, departements: list[str], geo_millesime: int) -> BuildResult:
    path = ws.build_db(run_id)
    for stale in path.parent.parent.iterdir():  # left by a killed build; we hold the writer lock
        if stale.is_dir() and stale != path.parent:
            shutil.rmtree(stale, ignore_errors=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    load_raw(ws, path)
    modeles, tests = run_dbt(path, {"departements": departements, "geo_millesime": geo_millesime, "build_id": run_id},
                             path.parent)
    with duckdb.connect(str(path)) as con:
        unmapped = con.execute("SELECT count(*) FROM marts.controle_codes_non_rattaches").fetchone()[0]
        con.execute("CHECKPOINT")
    return BuildResult(path=path, nb_tests=tests, nb_modeles=modeles, codes_non_rattaches=unmapped)
