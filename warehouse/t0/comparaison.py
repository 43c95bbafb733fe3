"""`bin/pacte compare`: compare a frozen T0 with the published build (or another snapshot) of a département.

The chosen comparisons are recorded in `<workspace>/t0/comparaisons.json`; every build copies the compared
snapshots' Parquet files into `construction.*` tables (`write_tables`, called by warehouse/build.py), and dbt
computes `marts.comparaison_t0` from them (statuses from the seed `ref_regles_comparabilite`). A new comparison
counts as a change for `warehouse.run.up_to_date`, like a new snapshot label."""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from warehouse.t0.manifest import SnapshotError, load, t0_root

INDEX = "comparaisons.json"

# construction tables read by dbt (staging/construction): always created, empty when nothing is compared.
TABLES: dict[str, dict[str, str]] = {
    "comparaisons_t0": {"label_t0": "VARCHAR", "code_departement": "VARCHAR", "label_t3": "VARCHAR",
                        "demandee_le": "TIMESTAMP", "geo_millesime_t0": "INTEGER", "build_id_t0": "VARCHAR",
                        "communes_t0": "BOOLEAN"},
    "t0_indicateurs": {"label": "VARCHAR", "niveau": "VARCHAR", "code_territoire": "VARCHAR", "libelle": "VARCHAR",
                       "code_departement": "VARCHAR", "indicateur_id": "VARCHAR", "valeur": "DOUBLE",
                       "numerateur": "DOUBLE", "denominateur": "DOUBLE", "statut": "VARCHAR",
                       "millesime": "INTEGER", "periode": "VARCHAR", "geo_millesime": "INTEGER"},
    "t0_communes": {"label": "VARCHAR", "code_commune": "VARCHAR", "code_departement": "VARCHAR",
                    "indicateur_id": "VARCHAR", "valeur": "DOUBLE", "numerateur": "DOUBLE",
                    "denominateur": "DOUBLE", "statut": "VARCHAR", "millesime": "INTEGER", "periode": "VARCHAR"},
    "t0_geographie": {"label": "VARCHAR", "geo_millesime": "INTEGER", "code_commune": "VARCHAR",
                      "libelle": "VARCHAR", "code_departement": "VARCHAR", "population": "BIGINT",
                      "code_epci": "VARCHAR", "libelle_epci": "VARCHAR"},
}
SOURCES = {"t0_indicateurs": "indicateurs_t0.parquet", "t0_communes": "indicateurs_commune.parquet",
           "t0_geographie": "geographie.parquet"}


def index_path(workspace_root: Path) -> Path:
    return t0_root(workspace_root) / INDEX


def recorded(workspace_root: Path) -> list[dict[str, Any]]:
    """The comparisons recorded in the workspace (an unreadable index is a French error, never ignored)."""
    path = index_path(workspace_root)
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return list(data["comparaisons"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SnapshotError(f"Index des comparaisons illisible : {path} ({type(exc).__name__}). "
                            "Corrigez-le ou supprimez-le puis relancez bin/pacte compare.") from None


def keys(workspace_root: Path) -> list[str]:
    """One text per recorded comparison: what `up_to_date` compares with the served publication."""
    return sorted(f"{c['t0']}|{c['departement']}|{c.get('avec') or ''}" for c in recorded(workspace_root))


def check(workspace_root: Path, label: str, departement: str, avec: str | None,
          published_departements: list[str]) -> dict[str, Any]:
    """Refuse, in French, a comparison that cannot be made; nothing is written before this passes."""
    _, manifest = load(workspace_root, label)  # unknown label: French error listing the known ones
    if manifest["departement"] != departement:
        raise SnapshotError(f"La photographie « {label} » porte sur le département {manifest['departement']}, "
                            f"pas sur le {departement} : une comparaison se fait sur le même département. "
                            "Rien n'a été enregistré ni publié.")
    if avec is not None:
        if avec == label:
            raise SnapshotError(f"La photographie « {label} » ne peut pas être comparée à elle-même.")
        _, other = load(workspace_root, avec)
        if other["departement"] != departement:
            raise SnapshotError(f"La photographie « {avec} » porte sur le département {other['departement']}, "
                                f"pas sur le {departement}. Rien n'a été enregistré ni publié.")
    elif departement not in published_departements:
        raise SnapshotError(f"Le département {departement} n'est pas dans la version publiée de cet espace "
                            f"(départements : {', '.join(published_departements) or 'aucun'}) : construisez "
                            f"d'abord le T+3 avec bin/pacte run --departement {departement}. "
                            "Rien n'a été enregistré ni publié.")
    return manifest


def record(workspace_root: Path, label: str, departement: str, avec: str | None) -> bool:
    """Add the comparison to the index (written by rename); False when it was already recorded."""
    entries = recorded(workspace_root)
    if any(c["t0"] == label and c["departement"] == departement and (c.get("avec") or None) == avec
           for c in entries):
        return False
    entries.append({"t0": label, "departement": departement, "avec": avec,
                    "demandee_le": datetime.now(UTC).isoformat(timespec="seconds")})
    path = index_path(workspace_root)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{INDEX}.{uuid.uuid4().hex[:8]}")
    tmp.write_text(json.dumps({"comparaisons": entries}, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)
    return True


def forget(workspace_root: Path, label: str, departement: str, avec: str | None) -> None:
    """Take a comparison back out of the index (its build failed: the index returns to the published state)."""
    entries = [c for c in recorded(workspace_root)
               if not (c["t0"] == label and c["departement"] == departement and (c.get("avec") or None) == avec)]
    path = index_path(workspace_root)
    tmp = path.with_name(f".{INDEX}.{uuid.uuid4().hex[:8]}")
    tmp.write_text(json.dumps({"comparaisons": entries}, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def write_tables(build_db: Path, workspace_root: Path) -> list[str]:
    """`construction.comparaisons_t0`, `t0_indicateurs`, `t0_communes`, `t0_geographie` in a build file: the
    recorded comparisons and the rows of the snapshots they name (dbt sources of marts.comparaison_t0).

    A recorded comparison whose snapshot can no longer be read is left out of this build, never a reason to
    stop it: returns one French warning per comparison left out (printed at the end of the run)."""
    comparisons, warnings = [], []
    for comp in recorded(workspace_root):
        try:
            for label in [comp["t0"]] + ([comp["avec"]] if comp.get("avec") else []):
                load(workspace_root, label)
        except SnapshotError as exc:
            warnings.append(f"Comparaison T0 « {comp['t0']} » (département {comp['departement']}) non recalculée : "
                            f"{exc}")
        else:
            comparisons.append(comp)
    with duckdb.connect(str(build_db)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS construction")
        for table, columns in TABLES.items():
            cols = ", ".join(f"{c} {t}" for c, t in columns.items())
            con.execute(f"CREATE OR REPLACE TABLE construction.{table} ({cols})")
        loaded: set[str] = set()
        for comp in comparisons:
            labels = [comp["t0"]] + ([comp["avec"]] if comp.get("avec") else [])
            manifest: dict[str, Any] = {}
            for label in labels:
                folder, m = load(workspace_root, label)
                if label == comp["t0"]:
                    manifest = m
                if label in loaded:
                    continue
                loaded.add(label)
                for table, name in SOURCES.items():
                    path = folder / name
                    if not path.is_file():  # a snapshot frozen before commune rows were kept
                        continue
                    present = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{_sql_path(path)}')")
                               .fetchall()}
                    select = ", ".join(f"{c}::{t}" if c in present else f"NULL::{t}"
                                       for c, t in TABLES[table].items() if c != "label")
                    con.execute(f"INSERT INTO construction.{table} SELECT ?, {select} "
                                f"FROM read_parquet('{_sql_path(path)}')", [label])
            folder_t0, _ = load(workspace_root, comp["t0"])
            con.execute("INSERT INTO construction.comparaisons_t0 VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [comp["t0"], comp["departement"], comp.get("avec"),
                         datetime.fromisoformat(comp["demandee_le"]).replace(tzinfo=None),
                         manifest["geo_millesime"], manifest["build_id"],
                         (folder_t0 / SOURCES["t0_communes"]).is_file()])
    return warnings
