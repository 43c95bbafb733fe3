"""Reuse of the served build's national tables whose inputs did not change.

Most of a build's time goes to national models (staging of the national files, indicators of every commune):
adding a département to a workspace, or landing one new file, leaves most of them exactly as the served
version computed them. The build file then starts as a copy of the served file (a file copy: no table is
decoded), and `dbt build --exclude …` builds the other models over it (warehouse.dbt_runner.run_dbt).

A table model is taken back when the served version was built by the same dbt project on the same COG, and
none of its ancestors is
- a raw entity whose landed files differ from those the served version read,
- a run parameter other than the COG vintage (the départements, the T0 snapshots and comparisons of
  `construction`), nor the build id (macro `build_id`).
What was taken back, and from which version, is recorded in `construction.modeles_repris` of the build (created empty by
warehouse.build.write_parameters).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ingestion.registry import landing_schemas
from warehouse.publish import current_publication
from warehouse.workspace import Workspace

# Parameters of `construction` that do not make a model depend on the run: the COG vintage is a reuse condition.
PARAMETRES_NEUTRES = {"parametres"}
MACROS_DU_RUN = {"macro.pacte.build_id"}


@dataclass(frozen=True)
class Reprise:
    """What a build may take back from the served version (picklable: sent to the dbt child process)."""

    servi: str  # the served file, attached read-only
    version: str  # its version (run id), recorded beside each table taken back
    entites_inchangees: frozenset[str]  # raw entities whose landed files are exactly those the served build read


def plan_reprise(ws: Workspace, manifest: dict[str, dict[str, Any]], geo_millesime: int,
                 projet_dbt: str) -> Reprise | None:
    """The served version's reusable inputs for a build of `manifest` (the landed files), or None."""
    current = current_publication(ws)
    if (current is None or current.get("projet_dbt") != projet_dbt
            or current.get("geo_millesime") != geo_millesime or not ws.served_db.exists()):
        return None
    servies = {f["sha256"] for f in current.get("fichiers", [])}
    if not servies <= set(manifest):  # a file withdrawn since: which entities it fed is no longer known
        return None
    lu_par_le_servi = {sha: e for sha, e in manifest.items() if sha in servies}
    inchangees = frozenset(entity for entity in landing_schemas()
                           if ws.landing.files_for(entity, manifest) == ws.landing.files_for(entity, lu_par_le_servi))
    return Reprise(servi=str(ws.served_db), version=current["version"], entites_inchangees=inchangees)


def modeles_reprenables(manifest: Any, reprise: Reprise) -> list[Any]:
    """Table models of the dbt manifest whose ancestors are all unchanged (see the module's docstring)."""
    @functools.cache
    def macro_du_run(uid: str) -> bool:  # a macro that calls one, at any depth
        macro = manifest.macros.get(uid)
        return uid in MACROS_DU_RUN or (macro is not None and any(macro_du_run(m) for m in macro.depends_on.macros))

    @functools.cache
    def depend_du_run(uid: str) -> bool:
        source = manifest.sources.get(uid)
        if source is not None:
            if source.source_name == "construction":
                return source.name not in PARAMETRES_NEUTRES
            return source.schema == "raw" and (source.identifier or source.name) not in reprise.entites_inchangees
        node = manifest.nodes.get(uid)
        if node is None:
            return False
        if any(macro_du_run(m) for m in node.depends_on.macros):
            return True
        return any(depend_du_run(parent) for parent in getattr(node.depends_on, "nodes", ()))  # seeds: none

    return sorted((node for uid, node in manifest.nodes.items()
                   if node.resource_type == "model" and node.config.materialized == "table"
                   and not depend_du_run(uid)), key=lambda n: n.name)


def reprendre(path: Path, manifest: Any, reprise: Reprise) -> list[str]:
    """The build file `path` starts as a copy of the served file (warehouse.build): record the reusable tables
    it already holds in `construction.modeles_repris` and return their model names, to leave out of
    `dbt build`; the models dbt does build replace their served tables. A table the served file lacks means
    nothing is taken back."""
    nodes = modeles_reprenables(manifest, reprise)
    with duckdb.connect(str(path)) as con:
        tables = set(con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall())
        if not nodes or any((n.schema, n.alias) not in tables for n in nodes):
            return []
        con.executemany("INSERT INTO construction.modeles_repris VALUES (?, ?, ?)",
                        [[n.name, f"{n.schema}.{n.alias}", reprise.version] for n in nodes])
    return [n.name for n in nodes]
