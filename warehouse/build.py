"""Build a fresh warehouse file off to the side: raw views over the landing zone, the run's parameters, then
`dbt build` into it (warehouse.dbt_runner)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ingestion.errors import PacteError
from ingestion.landing import LINEAGE_SCHEMA
from ingestion.registry import landing_schemas
from warehouse.dbt_runner import DbtBuild, run_dbt
from warehouse.reprise import plan_reprise
from warehouse.t0 import comparaison
from warehouse.t0.manifest import write_index
from warehouse.workspace import Workspace


@dataclass
class BuildResult:
    path: Path
    tests: int
    models: int
    codes_non_rattaches: int
    manifest: dict[str, dict[str, Any]]  # the landed files this build read (sha256 → manifest entry)
    avertissements: list[str] = field(default_factory=list)  # French, printed at the end of the run
    repris: list[str] = field(default_factory=list)  # models taken back from the served version (warehouse.reprise)


def load_raw(ws: Workspace, path: Path, manifest: dict[str, dict[str, Any]]) -> None:
    """Create schema `raw` with one view per landing entity (an empty table when nothing was landed).

    Views, not copies: staging reads each Parquet file once anyway, and copying national files into the
    build cost 7-12 s per run. Landed files are immutable (named by checksum), so the views stay valid.
    Only the manifest's files are read (`manifest`: the snapshot this build records as its input)."""
    with duckdb.connect(str(path)) as con:
        con.execute("DROP SCHEMA IF EXISTS raw CASCADE")  # a copy of the served file holds the served views
        con.execute("CREATE SCHEMA raw")
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
        # Filled by warehouse.reprise when tables are taken back from the served version.
        con.execute("CREATE OR REPLACE TABLE construction.modeles_repris (modele VARCHAR PRIMARY KEY, "
                    "relation VARCHAR NOT NULL, version_source VARCHAR NOT NULL)")


def build(ws: Workspace, run_id: str, departements: list[str], geo_millesime: int,
          dbt_build: DbtBuild = run_dbt, projet_dbt: str | None = None) -> BuildResult:
    """`dbt_build` runs `dbt build` into the build file (in this process by default; see warehouse.dbt_runner);
    `projet_dbt`: the project's fingerprint, to take back from the served version the national tables whose
    inputs did not change when it was built by the same project (None: build everything)."""
    path = ws.build_db(run_id)
    for stale in path.parent.parent.iterdir():  # left by a killed build; we hold the writer lock
        if stale.is_dir() and stale != path.parent:
            shutil.rmtree(stale, ignore_errors=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    manifest = ws.landing.manifest()
    reprise = plan_reprise(ws, manifest, geo_millesime, projet_dbt) if projet_dbt else None
    if reprise is not None:  # the served tables whose inputs did not change are kept (warehouse.reprise)
        shutil.copyfile(reprise.servi, path)
    load_raw(ws, path, manifest)
    write_parameters(path, departements, geo_millesime, run_id)
    write_index(path, ws.root)  # the workspace's T0 snapshots (marts.photographies_t0)
    comparisons = comparaison.write_tables(path, ws.root)  # the comparisons asked for (marts.comparaison_t0)
    modeles, tests = dbt_build(path, path.parent, reprise)
    with duckdb.connect(str(path)) as con:
        repris = [r[0] for r in con.execute("SELECT modele FROM construction.modeles_repris ORDER BY 1").fetchall()]
        unmapped = con.execute("SELECT count(*) FROM marts.controle_codes_non_rattaches").fetchone()[0]
        warnings = unweighted_rates(con) + unplaced_places(con) + comparisons
        con.execute("CHECKPOINT")
    return BuildResult(path=path, tests=tests, models=modeles, codes_non_rattaches=unmapped,
                       manifest=manifest, avertissements=warnings, repris=repris)


def unweighted_rates(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Rates of the diagnostic's EPCI that only commune files give and that no denominator of the same
    millésime (persons, fiscal households, population légale) could weight: one French line per millésime."""
    rows = con.execute("""
        SELECT t.millesime, string_agg(DISTINCT t.indicateur_id, ', ' ORDER BY t.indicateur_id), count(DISTINCT t.code_territoire)
        FROM intermediate.int_besoins__indicateurs_territoires AS t
        JOIN (SELECT DISTINCT code_epci FROM intermediate.int_geo__epci_diagnostic) AS e
            ON e.code_epci = t.code_territoire
        WHERE t.niveau = 'epci' AND t.ponderation = 'aucune'
        GROUP BY t.millesime ORDER BY t.millesime""").fetchall()
    return [f"Taux non calculés pour {n} EPCI (millésime {millesime}) : {indicateurs}. Les fichiers communaux "
            f"de ce millésime n'ont pas de nombre de personnes, et le dépôt ne contient ni le fichier DISP "
            f"(personnes ou ménages fiscaux) ni la population légale de {millesime} pour les pondérer : "
            f"déposez l'un d'eux ou le fichier EPCI."
            for millesime, indicateurs, n in rows]


# Records nothing places (no position, no commune code; a remote-only service needs no place), per offer table.
UNPLACED = {
    "di_structures": "latitude IS NULL AND code_insee IS NULL",
    "di_services": "latitude IS NULL AND code_insee IS NULL AND NOT (coalesce(modes_accueil, '') LIKE '%a-distance%' "
                   "AND coalesce(modes_accueil, '') NOT LIKE '%en-presentiel%')",
    "soliguide_lieux": "latitude IS NULL",
}
SHOWN_NAMES = 5


def unplaced_places(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Places of the offer files that nothing places (ingestion.positions: « sans position ni code commune »).
    They are landed, not refused — one such record must not stop a national export — but they are on no map and
    in no EPCI's offer, so the run says so: one French line per file, with the first names."""
    lines = []
    for table, condition in UNPLACED.items():
        rows = con.execute(f"""
            SELECT _fichier, count(*), list(coalesce(nom, '(sans nom)') ORDER BY ligne)[1:{SHOWN_NAMES}]
            FROM raw.{table} WHERE {condition} GROUP BY _fichier ORDER BY _fichier""").fetchall()
        for fichier, n, noms in rows:
            cites = ", ".join(f"« {nom} »" for nom in noms) + (", …" if n > len(noms) else "")
            lines.append(f"{n} lieu(x) sans position ni code commune dans {fichier} : chargé(s), mais placé(s) sur "
                         f"aucune carte et compté(s) dans l'offre d'aucun EPCI ({cites}). Complétez l'adresse ou "
                         f"le code commune à la source.")
    return lines
