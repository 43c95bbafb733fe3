"""Build a fresh warehouse file off to the side: raw tables from landing, then `dbt build` into it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ingestion.errors import PacteError
from ingestion.landing import LINEAGE_SCHEMA
from ingestion.registry import landing_schemas
from warehouse.workspace import BUILD_FILE, REPO_ROOT, Workspace

DBT_PROJECT = REPO_ROOT / "dbt_project"
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


@dataclass
class BuildResult:
    path: Path
    tests: int
    models: int
    codes_non_rattaches: int
    manifest: dict[str, dict[str, Any]]  # the landed files this build read (sha256 → manifest entry)


class BuildFailed(PacteError):
    """`dbt build` failed: `echecs` says in French which node broke which rule; `journal` is dbt's log."""

    def __init__(self, echecs: list[str], journal: str, total: int | None = None) -> None:
        self.echecs, self.journal = echecs, journal
        self.total = len(echecs) if total is None else total
        detail = "; ".join(echecs[:8]) + (f" ; … ({self.total - 8} de plus)" if self.total > 8 else "")
        super().__init__(f"La construction dbt a échoué ({self.total} erreur(s)) : {detail}. Journal : {journal}")

    def __reduce__(self) -> tuple[type, tuple[list[str], str, int]]:
        # Raised in the dbt child process (warehouse.constructeur) and sent back through a pipe.
        return (type(self), (self.echecs, self.journal, self.total))


# dbt generic tests (ours in macros/test_*.sql included) → the rule in French.
REGLES_DBT = {
    "not_null": "valeurs manquantes",
    "unique": "valeurs en double",
    "unique_combination": "clé en double ({columns})",
    "relationships": "code absent de la table de référence {to} ({field})",
    "accepted_values": "valeur hors de la liste autorisée ({values})",
    "expression_vraie": "règle non respectée : {expression}",
    "chaque_epci_present": "un EPCI du diagnostic est absent",
}


def decrire_echec(result: Any) -> str:
    """One failed dbt node, readable: `<node> : modèle M, colonne C : règle (n ligne(s) en échec)`."""
    node = result.node
    kind = node.resource_type
    message = " ".join(str(result.message or "").split())[:400]
    if kind == "test":
        meta = getattr(node, "test_metadata", None)
        model = (getattr(node, "attached_node", None) or "").rsplit(".", 1)[-1] or "?"
        if meta is None:  # a singular test (tests/*.sql)
            return f"{node.name} : test du projet en échec ({message})"
        kwargs = {k: (", ".join(map(str, v)) if isinstance(v, list) else v)
                  for k, v in (meta.kwargs or {}).items()}
        kwargs.setdefault("to", "?")
        kwargs.setdefault("field", "?")
        try:
            regle = REGLES_DBT.get(meta.name, f"test {meta.name}").format_map(kwargs)
        except (KeyError, ValueError):
            regle = f"test {meta.name}"
        column = getattr(node, "column_name", None) or kwargs.get("column_name")
        where = f"modèle {model}" + (f", colonne {column}" if column else "")
        lignes = f" ({result.failures} ligne(s) en échec)" if getattr(result, "failures", None) else ""
        return f"{node.name} : {where} : {regle}{lignes}"
    if kind == "unit_test":
        return f"{node.name} : test unitaire du modèle {getattr(node, 'model', '?')} : {message}"
    return f"{node.name} : {message}" if message else f"{node.name} : {kind} en erreur"


def load_raw(ws: Workspace, path: Path, manifest: dict[str, dict[str, Any]]) -> None:
    """Create schema `raw` with one view per landing entity (an empty table when nothing was landed).

    Views, not copies: staging reads each Parquet file once anyway, and copying national files into the
    build cost 7-12 s per run. Landed files are immutable (named by checksum), so the views stay valid.
    Only the manifest's files are read (`manifest`: the snapshot this build records as its input)."""
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        for entity, columns in landing_schemas().items():
            files = ws.landing.files_for(entity, manifest)
            missing = [f for f in files if not f.exists()]
            if missing:
                raise PacteError(f"Zone d'atterrissage incohérente : {', '.join(str(f) for f in missing)} "
                                  f"figure dans {ws.landing.manifest_path.name} mais n'existe plus.")
            if files:
                listing = ", ".join(f"'{f}'" for f in files)
                con.execute(f"CREATE OR REPLACE VIEW raw.{entity} AS "
                            f"SELECT * FROM read_parquet([{listing}], union_by_name = true)")
            else:
                cols = ", ".join(f"{c} {t}" for c, t in {**columns, **LINEAGE_SCHEMA}.items())
                con.execute(f"CREATE OR REPLACE TABLE raw.{entity} ({cols})")


def write_parameters(path: Path, departements: list[str], geo_millesime: int, build_id: str) -> None:
    """The run's parameters as tables (dbt source `construction`), kept in the published file as lineage."""
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS construction")
        con.execute("CREATE OR REPLACE TABLE construction.departements (code_departement VARCHAR PRIMARY KEY)")
        con.executemany("INSERT INTO construction.departements VALUES (?)", [[d] for d in departements])
        con.execute("CREATE OR REPLACE TABLE construction.parametres (geo_millesime INTEGER NOT NULL, "
                    "build_id VARCHAR NOT NULL)")
        con.execute("INSERT INTO construction.parametres VALUES (?, ?)", [geo_millesime, build_id])


# dbt's partial-parse state, shared by every build of this checkout: a full parse of the project costs
# about 3 s more than a partial one. dbt checks it against the project files, its version and the profile.
PARSE_CACHE = REPO_ROOT / ".cache" / "dbt" / "partial_parse.msgpack"
PARSE_STATE = "partial_parse.msgpack"


@contextmanager
def _build_file_env(path: Path, chdir: bool = True) -> Iterator[None]:
    """Point the dbt profile at the build file by a *relative* name, from its folder.

    The profile's connection settings are part of dbt's parse state: an absolute path, different for every
    build, would invalidate partial parsing each run. The CLI and each Airflow task run builds one at a time
    in their own process, so changing the working directory for the call is safe."""
    env_before, cwd_before = os.environ.get("PACTE_BUILD_DB"), Path.cwd()
    os.environ["PACTE_BUILD_DB"] = path.name
    if chdir:
        os.chdir(path.parent)
    try:
        yield
    finally:
        os.chdir(cwd_before)
        if env_before is None:
            os.environ.pop("PACTE_BUILD_DB", None)
        else:
            os.environ["PACTE_BUILD_DB"] = env_before


@contextmanager
def _own_duckdb_handle() -> Iterator[None]:
    """dbt-duckdb keeps its DuckDB handle in a class attribute, reused by the next invocation in the same
    process when the profile is the same — and with the relative build path it always is. Drop it before
    and after each build so that every build opens, then closes, its own file."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    def release() -> None:
        env = DuckDBConnectionManager._ENV
        DuckDBConnectionManager.close_all_connections()
        if env is not None:
            env.close()

    release()
    try:
        yield
    finally:
        release()


def _reuse_parse_state(target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    if PARSE_CACHE.exists():
        shutil.copyfile(PARSE_CACHE, target / PARSE_STATE)


def _keep_parse_state(target: Path) -> None:
    """Save the state for the next build (atomically: builds of other workspaces may read it meanwhile)."""
    state = target / PARSE_STATE
    if not state.exists():
        return
    try:
        PARSE_CACHE.parent.mkdir(parents=True, exist_ok=True)
        tmp = PARSE_CACHE.with_suffix(f".{os.getpid()}.tmp")
        shutil.copyfile(state, tmp)
        os.replace(tmp, PARSE_CACHE)
    except OSError:  # a read-only checkout only loses the speed-up
        pass


DBT_ARGS = ["--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT), "--quiet", "--no-use-colors",
            # Debug-level file logging and the JSON artefacts cost about a second per build; the log keeps
            # every warning and error, which is what the French error message points to.
            "--log-level-file", "info", "--no-write-json"]


def parse_project(target: Path, extra: tuple[str, ...] = ()) -> Any:
    """dbt's manifest of the project (partial parse from the shared state when it is still valid);
    `extra`: more dbt arguments (e.g. `--vars` overriding a rule of dbt_project.yml)."""
    from dbt.cli.main import dbtRunner

    _reuse_parse_state(target)
    with _build_file_env(Path(BUILD_FILE), chdir=False):
        res = dbtRunner().invoke(["parse", "--target-path", str(target), "--log-path", str(target / "logs"), *DBT_ARGS,
                                   *extra])
    if not res.success:
        raise PacteError(f"Le projet dbt est invalide : {res.exception}. Journal : {target / 'logs' / 'dbt.log'}")
    _keep_parse_state(target)
    return res.result


def run_dbt(path: Path, work_dir: Path, manifest: Any = None, extra: tuple[str, ...] = ()) -> tuple[int, int]:
    """`dbt build` into the build file; `manifest` (from `parse_project` with the same `extra`) skips the parse."""
    from dbt.cli.main import dbtRunner

    target = work_dir / "dbt_target"
    _reuse_parse_state(target)
    with _build_file_env(path), _own_duckdb_handle():
        res = dbtRunner(manifest=manifest).invoke(
            ["build", "--target-path", str(target), "--log-path", str(work_dir / "dbt_logs"), *DBT_ARGS, *extra])
    results = list(res.result or []) if res.result is not None else []
    failed = [r for r in results if str(r.status) in {"error", "fail"}]
    if not res.success or failed:
        echecs = [decrire_echec(r) for r in failed] or [str(res.exception)]
        raise BuildFailed(echecs, str(work_dir / "dbt_logs" / "dbt.log"), total=len(failed) or None)
    if manifest is None:
        _keep_parse_state(target)
    tests = sum(1 for r in results if r.node.resource_type in ("test", "unit_test"))
    return len(results) - tests, tests


DbtBuild = Callable[[Path, Path], tuple[int, int]]


def build(ws: Workspace, run_id: str, departements: list[str], geo_millesime: int,
          dbt_build: DbtBuild = run_dbt) -> BuildResult:
    """`dbt_build` runs `dbt build` (in this process by default; see warehouse.constructeur)."""
    path = ws.build_db(run_id)
    for stale in path.parent.parent.iterdir():  # left by a killed build; we hold the writer lock
        if stale.is_dir() and stale != path.parent:
            shutil.rmtree(stale, ignore_errors=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    manifest = ws.landing.manifest()
    load_raw(ws, path, manifest)
    write_parameters(path, departements, geo_millesime, run_id)
    modeles, tests = dbt_build(path, path.parent)
    with duckdb.connect(str(path)) as con:
        unmapped = con.execute("SELECT count(*) FROM marts.controle_codes_non_rattaches").fetchone()[0]
        con.execute("CHECKPOINT")
    return BuildResult(path=path, tests=tests, models=modeles, codes_non_rattaches=unmapped,
                       manifest=manifest)
