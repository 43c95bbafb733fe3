"""The main job, in steps shared by the CLI and the Airflow DAG:
recognise → validate (GX, before landing) → land → build (dbt) → publish.

A run is all-or-nothing: if any file fails validation, nothing is landed and nothing is published.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ingestion import reference
from ingestion.errors import InvalidFile, PacteError
from ingestion.fetch import read_origins
from ingestion.landing import new_run_id, sha256_of
from ingestion.registry import RecognisedFile, scan_inbox
from warehouse.build import DbtBuild, build, run_dbt
from warehouse.constructeur import ConstructeurDbt
from warehouse.publish import current_publication, publish, repair_mirror
from warehouse.workspace import Workspace

SYNTHETIC_MARKER = ".synthetique.json"  # written by the demo generator next to synthetic files
Progress = Callable[[str, int, int], None]


class ValidationFailed(PacteError):
    """One or more files were refused: exit code 2."""

    def __init__(self, erreurs: list[InvalidFile]):
        self.erreurs = erreurs
        super().__init__("\n".join(e.message() for e in erreurs))


class FilesWithdrawn(PacteError):
    """The build failed on landed files: they were taken back out of the landing zone (exit code 2)."""

    def __init__(self, message: str, retires: list[dict[str, Any]]):
        self.retires = retires
        super().__init__(message)


@dataclass
class Plan:
    run_id: str
    departement: str
    inbox: Path
    reconnus: list[RecognisedFile]
    inconnus: list[Path]
    deja_charges: list[str] = field(default_factory=list)


def _synthetic_names(inbox: Path) -> set[str]:
    marker = inbox / SYNTHETIC_MARKER
    return set(json.loads(marker.read_text())["fichiers"]) if marker.exists() else set()


def parse_departements(text: str) -> list[str]:
    """`16`, `16,40` or `tous` (every département of the chosen COG, resolved at build time)."""
    try:
        return reference.parse_departements(text)
    except ValueError as exc:
        raise PacteError(str(exc)) from None


def recognise(ws: Workspace, departement: str, inbox: Path, run_id: str | None = None,
              sources: set[str] | None = None) -> Plan:
    """`sources` restricts the plan to those sources' files (per-source Airflow DAGs); others are left alone."""
    if not inbox.is_dir():
        raise PacteError(f"Dossier de dépôt introuvable : {inbox}")
    parse_departements(departement)
    known, unknown = scan_inbox(inbox)
    if sources is not None:
        known, unknown = [f for f in known if f.source_id in sources], []
    return Plan(run_id=run_id or new_run_id(), departement=departement, inbox=inbox, reconnus=known,
                inconnus=unknown)


def plan_source(ws: Workspace, source_id: str, inbox: Path, run_id: str | None = None) -> Plan:
    """The files of one source in the inbox, for its `ingest_<source_id>` DAG (no département before the build)."""
    if not inbox.is_dir():
        raise PacteError(f"Dossier de dépôt introuvable : {inbox}")
    known, _ = scan_inbox(inbox)
    return Plan(run_id=run_id or new_run_id(), departement="", inbox=inbox,
                reconnus=[f for f in known if f.source_id == source_id], inconnus=[])


def plan_rebuild(ws: Workspace, departement: str | None = None) -> Plan:
    """A build-only plan (Asset-triggered `build_warehouse`): every département already published, plus one."""
    deps = ws.departements()
    dep = departement or (deps[0] if deps else "")
    if not dep:
        raise PacteError("Aucun département publié dans cet espace : indiquez le paramètre « departement » "
                          "du DAG build_warehouse (ex. 16) ou la variable PACTE_DEPARTEMENT.")
    if (message := reference.departement_error(dep, "16, 2A, 971")) is not None:
        raise PacteError(message)
    return Plan(run_id=new_run_id(), departement=dep, inbox=ws.root, reconnus=[], inconnus=[])


# Reading and validating national files is CPU-bound pandas/GX work: above this many bytes to check, files are
# spread over worker processes (one per core, at most PARALLEL_MAX); below it, starting them costs more.
PARALLEL_MIN_BYTES = 8_000_000
PARALLEL_MAX = 4


@dataclass(frozen=True)
class _Task:
    """One file to read, validate and stage (picklable: sent to a worker process)."""

    root: Path
    run_id: str
    fichier: RecognisedFile
    sha: str
    synthetique: bool
    origine: dict[str, str] | None


def _check_and_stage(tache: _Task) -> dict[str, Any]:
    """Read, validate (GX) and stage one file; raise InvalidFile with its report when refused."""
    from expectations.runner import validate, write_report

    ws = Workspace.at(tache.root)
    fichier = tache.fichier
    try:
        lecture = fichier.format.load_reader()(fichier)
    except InvalidFile:
        raise
    except Exception as exc:  # noqa: BLE001 — a reader must never end a run with a traceback
        raise InvalidFile(fichier.path.name, f"fichier illisible : erreur inattendue à la lecture "
                                                 f"({type(exc).__name__} : {str(exc)[:300]})") from None
    resultat = validate(fichier.format.suite, lecture)
    if not resultat.ok:
        report = ws.quarantine_dir(tache.run_id) / f"{fichier.path.name}.rapport.html"
        write_report(report, fichier.path.name, fichier.format.suite, resultat)
        raise InvalidFile(fichier.path.name, resultat.issues, rapport=str(report))
    return ws.landing.stage(ws.staging_dir(tache.run_id), fichier, lecture, tache.sha, tache.run_id,
                            synthetique=tache.synthetique, origine=tache.origine)


def _workers(taches: list[_Task]) -> int:
    if sum(t.fichier.path.stat().st_size for t in taches) < PARALLEL_MIN_BYTES:
        return 1
    return max(1, min(len(taches), os.cpu_count() or 1, PARALLEL_MAX))


def _validation_context() -> multiprocessing.context.BaseContext:
    """Workers are forked from a fork server that imported GX and the readers once (≈ 6 s), not from this
    process: forking a process with other threads running (an Airflow task, a test runner) can copy a
    held lock into the child and hang it. The server is started once per process and then reused."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["expectations.preload", "warehouse.pipeline"])
    return ctx


def validate_and_stage(ws: Workspace, plan: Plan, progress: Progress | None = None) -> dict[str, dict[str, Any]]:
    """Read and validate every recognised file; stage the good ones. Refused files go to quarantine."""
    synthetic = _synthetic_names(plan.inbox)
    origins = read_origins(plan.inbox)  # URL and retrieval date of downloaded files (ingestion.fetch)
    taches: list[_Task] = []
    for fichier in plan.reconnus:
        sha = sha256_of(fichier.path)
        if ws.landing.already_landed(sha) or any(t.sha == sha for t in taches):
            plan.deja_charges.append(fichier.path.name)
            continue
        taches.append(_Task(ws.root, plan.run_id, fichier, sha, fichier.path.name in synthetic, origins.get(sha)))
    entries: dict[str, dict[str, Any]] = {}
    errors: list[InvalidFile] = []

    def settle(tache: _Task, outcome: Callable[[], dict[str, Any]]) -> None:
        try:
            entries[tache.sha] = outcome()
        except InvalidFile as exc:
            _quarantine(ws, plan.run_id, tache.fichier.path, exc)
            errors.append(exc)
        if progress:
            progress(tache.fichier.path.name, len(entries) + len(errors), len(taches))

    workers = _workers(taches)
    if workers == 1:
        for tache in taches:
            settle(tache, lambda tache=tache: _check_and_stage(tache))
    else:
        # The largest files go first to balance the cores.
        taches.sort(key=lambda t: t.fichier.path.stat().st_size, reverse=True)
        with ProcessPoolExecutor(workers, mp_context=_validation_context()) as pool:
            futures = {pool.submit(_check_and_stage, t): t for t in taches}
            for future in as_completed(futures):
                settle(futures[future], future.result)
    if errors:
        shutil.rmtree(ws.staging_dir(plan.run_id), ignore_errors=True)
        errors.sort(key=lambda e: e.fichier)
        raise ValidationFailed(errors)
    return {t.sha: entries[t.sha] for t in sorted(taches, key=lambda t: t.fichier.path.name)}


def _quarantine(ws: Workspace, run_id: str, path: Path, exc: InvalidFile) -> None:
    target = ws.quarantine_dir(run_id)
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, target / path.name)
    if not exc.rapport:
        report = target / f"{path.name}.rapport.txt"
        report.write_text(exc.message() + "\n", encoding="utf-8")
        exc.rapport = str(report)


def land(ws: Workspace, plan: Plan, entries: dict[str, dict[str, Any]]) -> None:
    repair_mirror(ws)  # every writer path lands or builds with the writer lock held
    ws.landing.commit(ws.staging_dir(plan.run_id), entries)


def choose_geo_millesime(ws: Workspace, requested: int | None) -> int:
    loaded = sorted({e["geo_millesime"] for e in ws.landing.manifest().values()
                     if e["source_id"] in ("cog_insee", "decoupage_administratif") and e.get("geo_millesime")})
    if not loaded:
        raise PacteError("Aucun référentiel géographique chargé : déposez « EPCI_au_01-01-AAAA.xlsx » (INSEE) "
                          "ou les fichiers communes/epci.json du découpage administratif (Etalab).")
    if requested is None:
        return loaded[-1]
    if requested not in loaded:
        raise PacteError(f"Millésime géographique {requested} non chargé (disponibles : "
                          f"{', '.join(map(str, loaded))}).")
    return requested


def resolve_departements(ws: Workspace, departement: str, geo_millesime: int) -> list[str]:
    """The départements of a run, each checked against the chosen COG (`tous` = all of them)."""
    files = ws.landing.files_for("geo_communes")
    listing = ", ".join(f"'{f}'" for f in files)
    known = {r[0] for r in duckdb.sql(f"SELECT DISTINCT code_departement FROM read_parquet([{listing}]) "
                                      f"WHERE geo_millesime = ?", params=[geo_millesime]).fetchall()}
    codes = parse_departements(departement)
    if codes == [reference.TOUS]:
        return sorted(known)
    for code in codes:
        if code not in known:
            raise PacteError(f"Le département {code} n'a aucune commune dans le COG {geo_millesime} chargé.")
    return codes


def build_step(ws: Workspace, plan: Plan, geo_millesime: int | None, dbt_build: DbtBuild = run_dbt) -> dict[str, Any]:
    """Build the warehouse off to the side (dbt); returns what the publish step needs.

    A failed build never leaves the landing zone in a state the next run cannot build: the files landed
    since the last publication (this run's, or those of `ingest_*` DAGs for `build_warehouse`) are withdrawn
    and a FilesWithdrawn names them with the failed rules. The CLI and every Airflow path build here."""
    repair_mirror(ws)
    geo = choose_geo_millesime(ws, geo_millesime)
    departements = sorted(set(ws.departements()) | set(resolve_departements(ws, plan.departement, geo)))
    try:
        result = build(ws, plan.run_id, departements, geo, dbt_build)
    except Exception as exc:
        retrait = _withdraw_unpublished(ws, plan.run_id, exc)
        if retrait is None or not isinstance(exc, (PacteError, duckdb.Error)):
            raise
        raise retrait from None
    return {"build": str(result.path), "geo_millesime": geo, "departements": departements,
            "codes_non_rattaches": result.codes_non_rattaches, "tests_dbt": result.tests,
            "manifest": result.manifest}


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


def publish_step(ws: Workspace, plan: Plan, built: dict[str, Any]) -> dict[str, Any]:
    manifest = built["manifest"]  # what was built, not what was landed since (another DAG may have landed)
    details = {
        "departements": built["departements"], "geo_millesime": built["geo_millesime"],
        "donnees_synthetiques": any(e.get("synthetique") for e in manifest.values()),
        "codes_non_rattaches": built["codes_non_rattaches"], "tests_dbt": built["tests_dbt"],
        "fichiers": [{"fichier": e["fichier"], "source_id": e["source_id"], "millesime": e["millesime"],
                      "geo_millesime": e["geo_millesime"], "sha256": sha, "synthetique": e.get("synthetique", False)}
                     for sha, e in sorted(manifest.items(), key=lambda kv: kv[1]["charge_le"])],
    }
    publication = publish(ws, Path(built["build"]), plan.run_id, details)
    for code in built["departements"]:
        ws.add_departement(code)
    return publication


def run(ws: Workspace, departement: str, inbox: Path, geo_millesime: int | None = None,
        progress: Progress | None = None, on_plan: Callable[[Plan], None] | None = None) -> dict[str, Any]:
    with ws.writer_lock():
        plan = recognise(ws, departement, inbox)
        if on_plan:
            on_plan(plan)
        # dbt is imported and the project parsed in a child process while the files are validated.
        with ConstructeurDbt() as constructeur:
            entries = validate_and_stage(ws, plan, progress)
            land(ws, plan, entries)
            return publish_step(ws, plan, build_step(ws, plan, geo_millesime, constructeur.build))
