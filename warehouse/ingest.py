"""Ingest the files of a run: read → validate (Great Expectations) → stage → quarantine the refused → land.

All or nothing: when a file is refused, it is copied to `quarantine/<run>/` with its report and nothing of the
run is landed (`ValidationFailed`, exit code 2). Staged Parquet are landed (`land`) only once every file passed.
The readers (`ingestion/readers/`), the suites (`expectations/`) and the landing zone (`ingestion/landing.py`)
are plain ingestion code; this module runs them for a workspace, over worker processes for large runs.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingestion.errors import InvalidFile, PacteError
from ingestion.fetch import read_origins
from ingestion.landing import sha256_of
from ingestion.readers.common import ReadResult
from ingestion.registry import RecognisedFile
from warehouse.plan import RunPlan
from warehouse.publish import repair_mirror
from warehouse.t0.archive import Archive, commit_originals, stage_original
from warehouse.workspace import Workspace

Progress = Callable[[str, int, int], None]


class ValidationFailed(PacteError):
    """One or more files were refused: exit code 2."""

    def __init__(self, erreurs: list[InvalidFile]):
        self.erreurs = erreurs
        super().__init__("\n".join(e.message() for e in erreurs))


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
    origine: dict[str, Any] | None  # lineage facts of the inbox (download URL and date, synthetic flag)


def read_and_validate(fichier: RecognisedFile, report: Path | None = None) -> ReadResult:
    """Read one file with its format's reader and check it with its GX suite; raise InvalidFile (French
    message naming file, column or sheet, rows) when refused, after writing the HTML report to `report`."""
    from expectations.runner import validate, write_report

    try:
        result = fichier.format.load_reader()(fichier)
    except InvalidFile:
        raise
    except Exception as exc:  # noqa: BLE001 — a reader must never end a run with a traceback
        raise InvalidFile(fichier.path.name, f"fichier illisible : erreur inattendue à la lecture "
                                             f"({type(exc).__name__} : {str(exc)[:300]})") from None
    validation = validate(fichier.format.suite, result)
    if not validation.ok:
        if report is not None:
            write_report(report, fichier.path.name, fichier.format.suite, validation)
        raise InvalidFile(fichier.path.name, validation.issues, rapport=str(report) if report else None)
    return result


def _fiches_t0(root: Path, name: str, result: ReadResult) -> None:
    from warehouse.t0.fiches_t0 import check_fiches_t0

    check_fiches_t0(root, name, result.tables["fiches_indicateurs"])


# source_id → a check of a read file against the workspace, raising InvalidFile (French, sheet/column/row).
WORKSPACE_CHECKS: dict[str, Callable[[Path, str, ReadResult], None]] = {"fiches_actions": _fiches_t0}


def _check_and_stage(task: _Task) -> dict[str, Any]:
    """Read, validate (GX) and stage one file; raise InvalidFile with its report when refused."""
    ws = Workspace.at(task.root)
    fichier = task.fichier
    report = ws.quarantine_dir(task.run_id) / f"{fichier.path.name}.rapport.html"
    result = read_and_validate(fichier, report)
    if fichier.source_id in WORKSPACE_CHECKS:  # checks that need the workspace (e.g. its T0 snapshots)
        WORKSPACE_CHECKS[fichier.source_id](ws.root, fichier.path.name, result)
    origine = task.origine or {}
    return ws.landing.stage(ws.staging_dir(task.run_id), fichier, result, task.sha, task.run_id,
                            synthetique=bool(origine.get("synthetique")), origine=origine)


def _workers(tasks: list[_Task]) -> int:
    if sum(t.fichier.path.stat().st_size for t in tasks) < PARALLEL_MIN_BYTES:
        return 1
    return max(1, min(len(tasks), os.cpu_count() or 1, PARALLEL_MAX))


def _validation_context() -> multiprocessing.context.BaseContext:
    """Workers are forked from a fork server that imported GX and the readers once (≈ 6 s), not from this
    process: forking a process with other threads running (an Airflow task, a test runner) can copy a
    held lock into the child and hang it. The server is started once per process and then reused."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["expectations.preload", "warehouse.ingest"])
    return ctx


def validate_and_stage(ws: Workspace, plan: RunPlan, progress: Progress | None = None) -> dict[str, dict[str, Any]]:
    """Read and validate every recognised file; stage the good ones. Refused files go to quarantine.
    Files already landed (same SHA-256) are skipped and listed in `plan.already_landed`."""
    # The inbox's lineage facts per checksum (ingestion.fetch): download URL and date, synthetic flag.
    origins = read_origins(plan.inbox) if plan.inbox else {}
    tasks: list[_Task] = []
    for fichier in plan.recognised:
        sha = sha256_of(fichier.path)
        if ws.landing.already_landed(sha) or any(t.sha == sha for t in tasks):
            plan.already_landed.append(fichier.path.name)
            if ws.landing.already_landed(sha) and not Archive.of(ws.root).has(sha):
                # landed before ingestion archived originals: archived now (content-addressed, atomic)
                Archive.of(ws.root).put(fichier.path, sha, {"chemin": _chemin(fichier.path, plan.inbox),
                                                            "fichier": fichier.path.name})
            continue
        tasks.append(_Task(ws.root, plan.run_id, fichier, sha, origins.get(sha)))
    entries: dict[str, dict[str, Any]] = {}
    errors: list[InvalidFile] = []

    def settle(task: _Task, outcome: Callable[[], dict[str, Any]]) -> None:
        try:
            entries[task.sha] = outcome()
        except InvalidFile as exc:
            _quarantine(ws, plan.run_id, task.fichier.path, exc)
            errors.append(exc)
        if progress:
            progress(task.fichier.path.name, len(entries) + len(errors), len(tasks))

    workers = _workers(tasks)
    if workers == 1:
        for task in tasks:
            settle(task, lambda task=task: _check_and_stage(task))
    else:
        # The largest files go first to balance the cores.
        tasks.sort(key=lambda t: t.fichier.path.stat().st_size, reverse=True)
        with ProcessPoolExecutor(workers, mp_context=_validation_context()) as pool:
            futures = {pool.submit(_check_and_stage, t): t for t in tasks}
            for future in as_completed(futures):
                settle(futures[future], future.result)
    if errors:
        shutil.rmtree(ws.staging_dir(plan.run_id), ignore_errors=True)
        errors.sort(key=lambda e: e.fichier)
        raise ValidationFailed(errors)
    for task in tasks:  # the originals, archived by checksum when the run lands (warehouse.t0.archive)
        stage_original(ws.staging_dir(plan.run_id), task.fichier.path, task.sha,
                       _chemin(task.fichier.path, plan.inbox))
    return {t.sha: entries[t.sha] for t in sorted(tasks, key=lambda t: t.fichier.path.name)}


def _chemin(path: Path, inbox: Path | None) -> str:
    """A file's path in its inbox (recognition may read a folder name, e.g. `cog2026/communes.json`)."""
    return path.relative_to(inbox).as_posix() if inbox and path.is_relative_to(inbox) else path.name


def _quarantine(ws: Workspace, run_id: str, path: Path, exc: InvalidFile) -> None:
    target = ws.quarantine_dir(run_id)
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, target / path.name)
    if not exc.rapport:
        report = target / f"{path.name}.rapport.txt"
        report.write_text(exc.message() + "\n", encoding="utf-8")
        exc.rapport = str(report)


def land(ws: Workspace, run_id: str, entries: dict[str, dict[str, Any]]) -> None:
    """Commit the run's staged Parquet to the landing zone (call with the writer lock held)."""
    repair_mirror(ws)  # every writer path lands or builds with the writer lock held
    commit_originals(ws.staging_dir(run_id), Archive.of(ws.root))
    ws.landing.commit(ws.staging_dir(run_id), entries)
