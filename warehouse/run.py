"""The main job, composed of steps that the CLI and the Airflow DAG tasks call alike:
plan (warehouse.plan) → ingest (warehouse.ingest) → build (dbt) → publish.

`run` is the whole chain in one process with the writer lock held (`bin/pacte run`, `bin/pacte demo
--sans-airflow`); the DAG tasks call the same steps one by one, passing a `RunRef` through XCom.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from ingestion import reference
from ingestion.errors import PacteError
from warehouse import ingest, plan
from warehouse.build import build
from warehouse.dbt_runner import DbtRunner, project_fingerprint
from warehouse.publish import current_publication, publish, repair_mirror
from warehouse.t0 import comparaison
from warehouse.t0.manifest import list_snapshots
from warehouse.workspace import Workspace

# Sources whose files are the geography (the COG vintages a build can choose from).
GEOGRAPHY_SOURCES = ("cog_insee", "decoupage_administratif")


class FilesWithdrawn(PacteError):
    """The build failed on landed files: they were taken back out of the landing zone (exit code 2)."""

    def __init__(self, message: str, retires: list[dict[str, Any]]):
        self.retires = retires
        super().__init__(message)


def choose_geo_millesime(ws: Workspace, requested: int | None) -> int:
    loaded = sorted({e["geo_millesime"] for e in ws.landing.manifest().values()
                     if e["source_id"] in GEOGRAPHY_SOURCES and e.get("geo_millesime")})
    if not loaded:
        raise PacteError("Aucun référentiel géographique chargé : déposez « EPCI_au_01-01-AAAA.xlsx » (INSEE) "
                         "ou les fichiers communes/epci.json du découpage administratif (Etalab).")
    if requested is None:
        return loaded[-1]
    if requested not in loaded:
        raise PacteError(f"Millésime géographique {requested} non chargé (disponibles : "
                         f"{', '.join(map(str, loaded))}).")
    return requested


def resolve_departements(ws: Workspace, codes: list[str], geo_millesime: int) -> list[str]:
    """The départements of a run, each checked against the chosen COG (`tous` = all of them)."""
    if not codes:
        return []
    files = ws.landing.files_for("geo_communes")
    listing = ", ".join(f"'{f}'" for f in files)
    known = {r[0] for r in duckdb.sql(f"SELECT DISTINCT code_departement FROM read_parquet([{listing}]) "
                                      f"WHERE geo_millesime = ?", params=[geo_millesime]).fetchall()}
    if codes == [reference.TOUS]:
        return sorted(known)
    for code in codes:
        if code not in known:
            raise PacteError(f"Le département {code} n'a aucune commune dans le COG {geo_millesime} chargé.")
    return codes


def build_step(ws: Workspace, ref: plan.RunRef, geo_millesime: int | None,
               dbt: DbtRunner | None = None) -> dict[str, Any]:
    """Build the warehouse off to the side (dbt) for the run's départements and those already published;
    returns what the publish step needs (JSON-serialisable).

    A failed build never leaves the landing zone in a state the next run cannot build: the files landed
    since the last publication (this run's, or those of `ingest_*` DAGs for `build_warehouse`) are withdrawn
    and a FilesWithdrawn names them with the failed rules. The CLI and every Airflow path build here."""
    repair_mirror(ws)
    geo = choose_geo_millesime(ws, geo_millesime)
    departements = sorted(set(ws.departements()) | set(resolve_departements(ws, ref.departements, geo)))
    projet = project_fingerprint()  # hashes every project file: once per build step
    current = up_to_date(ws, departements, geo, projet)
    if current is not None and not (dbt is not None and dbt.extra):
        return {"inchange": True, "publication": current, "departements": departements, "geo_millesime": geo}
    try:
        result = build(ws, ref.run_id, departements, geo, (dbt or DbtRunner()).build, projet_dbt=projet)
    except Exception as exc:
        retrait = _withdraw_unpublished(ws, ref.run_id, exc)
        if retrait is None or not isinstance(exc, (PacteError, duckdb.Error)):
            raise
        raise retrait from None
    return {"build": str(result.path), "geo_millesime": geo, "departements": departements,
            "codes_non_rattaches": result.codes_non_rattaches, "tests_dbt": result.tests,
            "manifest": result.manifest, "projet_dbt": projet, "photographies_t0": _snapshots(ws),
            "comparaisons_t0": comparaison.keys(ws.root), "avertissements": result.avertissements,
            "modeles_repris": result.repris}


def _snapshots(ws: Workspace) -> list[str]:
    """The T0 snapshots a build lists (marts.photographies_t0): a new one calls for a new build."""
    return sorted(s["label"] for s in list_snapshots(ws.root))


def up_to_date(ws: Workspace, departements: list[str], geo_millesime: int, projet_dbt: str) -> dict[str, Any] | None:
    """The served publication when a build would give it again: built from exactly the landed files, for
    these départements and this COG, by the same dbt project. A scheduled refresh with nothing new then
    costs no build and no new version."""
    current = current_publication(ws)
    if current is None or current.get("projet_dbt") != projet_dbt:
        return None
    built_from = {f["sha256"] for f in current.get("fichiers", [])}
    if (built_from == set(ws.landing.manifest()) and current.get("geo_millesime") == geo_millesime
            and set(departements) <= set(current.get("departements", []))
            and current.get("photographies_t0") == _snapshots(ws)
            and current.get("comparaisons_t0", []) == comparaison.keys(ws.root)):
        return current
    return None


def _withdraw_unpublished(ws: Workspace, run_id: str, exc: BaseException) -> FilesWithdrawn | None:
    """Back to the last published set: withdraw every landed file the served version was not built from."""
    published = {f["sha256"] for f in (current_publication(ws) or {}).get("fichiers", [])}
    unpublished = [sha for sha in ws.landing.manifest() if sha not in published]
    if not unpublished:
        return None
    folder = ws.quarantine_dir(run_id)
    folder.mkdir(parents=True, exist_ok=True)
    retires = ws.landing.withdraw(unpublished, folder / "retires")
    lines = [str(exc)]
    journal = getattr(exc, "journal", None)
    if journal and Path(journal).exists():  # the failed build's folder goes at the next build
        shutil.copy2(journal, folder / "dbt.log")
        lines.append(f"Journal dbt conservé : {folder / 'dbt.log'}")
    lines.append("Fichier(s) retiré(s) de la zone d'atterrissage (chargés depuis la dernière publication ; "
                 "l'espace de travail revient à son dernier état publié) :")
    lines += [f"  • {e['fichier']} ({e['source_id']}, SHA-256 {e['sha256'][:12]}…)"
              for e in sorted(retires, key=lambda e: e["fichier"])]
    lines.append("Corrigez le fichier en cause puis relancez : les fichiers retirés seront de nouveau chargés "
                 "s'ils sont dans le dépôt.")
    message = "\n".join(lines)
    (folder / "construction_echouee.txt").write_text(message + "\n", encoding="utf-8")
    return FilesWithdrawn(message, retires)


def publish_step(ws: Workspace, run_id: str, built: dict[str, Any]) -> dict[str, Any]:
    if built.get("inchange"):  # nothing new since the served version: it stays, no new version
        return {**built["publication"], "inchange": True}
    manifest = built["manifest"]  # what was built, not what was landed since (another DAG may have landed)
    details = {
        "departements": built["departements"], "geo_millesime": built["geo_millesime"],
        "donnees_synthetiques": any(e.get("synthetique") for e in manifest.values()),
        "codes_non_rattaches": built["codes_non_rattaches"], "tests_dbt": built["tests_dbt"],
        "projet_dbt": built["projet_dbt"], "photographies_t0": built["photographies_t0"],
        "comparaisons_t0": built.get("comparaisons_t0", []),
        "avertissements": built.get("avertissements", []),
        "modeles_repris": built.get("modeles_repris", []),
        "fichiers": [{"fichier": e["fichier"], "source_id": e["source_id"], "millesime": e["millesime"],
                      "geo_millesime": e["geo_millesime"], "sha256": sha, "synthetique": e.get("synthetique", False)}
                     for sha, e in sorted(manifest.items(), key=lambda kv: kv[1]["charge_le"])],
    }
    publication = publish(ws, Path(built["build"]), run_id, details)
    for code in built["departements"]:
        ws.add_departement(code)
    return publication


def run(ws: Workspace, departement: str, inbox: Path, geo_millesime: int | None = None,
        progress: ingest.Progress | None = None,
        on_plan: Callable[[plan.RunPlan], None] | None = None) -> dict[str, Any]:
    with ws.writer_lock():
        run_plan = plan.recognise(departement, inbox)
        if on_plan:
            on_plan(run_plan)
        # dbt is imported and the project parsed in a child process while the files are validated.
        with DbtRunner(background=True) as dbt:
            entries = ingest.validate_and_stage(ws, run_plan, progress)
            ingest.land(ws, run_plan.run_id, entries)
            return publish_step(ws, run_plan.run_id, build_step(ws, run_plan.ref, geo_millesime, dbt))


def rebuild(ws: Workspace, locked: Callable[[], None] | None = None) -> dict[str, Any]:
    """Build and publish what is landed (nothing ingested) for the published départements, on the COG of the
    served version. `locked` runs once the writer lock is held, before the build (`bin/pacte compare` records
    its comparison there, so that no concurrent build reads a half-recorded state)."""
    with ws.writer_lock():
        if locked:
            locked()
        run_plan = plan.for_rebuild(ws)
        geo = (current_publication(ws) or {}).get("geo_millesime")
        return publish_step(ws, run_plan.run_id, build_step(ws, run_plan.ref, geo))
