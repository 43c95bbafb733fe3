"""dbt in a child process started at the beginning of a run, so that importing dbt and parsing the project
(≈ 4 s of CPU) overlap the validation of the files instead of following it.

The child imports dbt and parses at once, then waits for the build file; meanwhile the validation workers
(warehouse.ingest) read and check the files. Used by `run.run` (CLI, demo); Airflow tasks
build in their own process with `build.run_dbt`.
"""

from __future__ import annotations

import multiprocessing
import shutil
import tempfile
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType

from ingestion.errors import PacteError
from warehouse.build import PARSE_CACHE, parse_project, run_dbt


def _serve(conn: Connection, extra: tuple[str, ...], target: Path) -> None:
    try:
        manifest, erreur = None, None
        try:
            manifest = parse_project(target, extra)
        except PacteError as exc:  # reported when the build is asked for
            erreur = str(exc)
        except Exception as exc:  # noqa: BLE001
            erreur = f"L'analyse du projet dbt a échoué : {type(exc).__name__} : {exc}"
        demande = conn.recv()
        if erreur:
            conn.send((False, PacteError(erreur)))
            return
        path, work_dir = demande
        try:
            conn.send((True, run_dbt(path, work_dir, manifest, extra)))
        except PacteError as exc:  # BuildFailed included: its failed nodes travel with it
            conn.send((False, exc))
        except Exception as exc:  # noqa: BLE001 — any failure must reach the run as a French message
            conn.send((False, PacteError(f"La construction dbt a échoué : {type(exc).__name__} : {exc}")))
    except (EOFError, KeyboardInterrupt):  # the run's process is gone or interrupted
        pass
    finally:
        conn.close()


class ConstructeurDbt:
    """Context manager: `with ConstructeurDbt() as c: ... build(..., dbt_build=c.build)`.

    `extra`: more dbt arguments for the parse and the build (e.g. `--vars` overriding a rule)."""

    def __init__(self, extra: tuple[str, ...] = ()) -> None:
        # spawn, not fork: a fork copies locks held by other threads of the run's process (seen as a
        # deadlock in the test process); its imports overlap the validation anyway.
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._extra = extra
        # Made here, removed in __exit__: the child may be stopped before it could clean up after itself.
        self._target = Path(tempfile.mkdtemp(prefix="pacte-dbt-parse-"))
        self._process = ctx.Process(target=_serve, args=(child, extra, self._target), name="pacte-dbt", daemon=True)
        self._process.start()
        child.close()
        self._used = False

    def build(self, path: Path, work_dir: Path) -> tuple[int, int]:
        if self._used:  # one build per child: dbt's manifest and adapter state belong to that build
            return run_dbt(path, work_dir, extra=self._extra)
        self._used = True
        try:
            self._conn.send((path, work_dir))
            ok, resultat = self._conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            raise PacteError("Le processus de construction dbt s'est arrêté de façon inattendue (mémoire "
                              f"insuffisante ?). Journal : {work_dir / 'dbt_logs' / 'dbt.log'}") from None
        if not ok:
            raise resultat
        return resultat

    def __enter__(self) -> ConstructeurDbt:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if not self._used:
            # The run stopped before building (refused file, error): stop the child at once rather than wait
            # for it to finish importing dbt and parsing, which only delayed the user's error message.
            self._process.terminate()
        self._conn.close()
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        shutil.rmtree(self._target, ignore_errors=True)
        if self._process.pid is not None:  # a parse state copy the stopped child was writing
            PARSE_CACHE.with_suffix(f".{self._process.pid}.tmp").unlink(missing_ok=True)
