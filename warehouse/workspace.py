"""Workspace layout (default `var/workspace/`, demo `var/demo/`: runtime data lives under the git-ignored
`var/`, never beside the code) and the single-writer lock. A workspace of an older checkout (`warehouse/`,
`warehouse/demo/`) is still read and written when passed explicitly (`--workspace warehouse`)."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ingestion.errors import PacteError
from ingestion.landing import Landing
from warehouse.settings import FAILURE_FILE

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WORKSPACE = REPO_ROOT / "var" / "workspace"
DEMO_WORKSPACE = REPO_ROOT / "var" / "demo"


# The build file must be named like the served one: dbt-duckdb qualifies views with the catalog name,
# which DuckDB derives from the file name.
BUILD_FILE = "pacte.duckdb"


@dataclass(frozen=True)
class Workspace:
    root: Path

    @classmethod
    def at(cls, root: Path | str | None) -> Workspace:
        ws = cls(Path(root).resolve() if root else DEFAULT_WORKSPACE)
        for sub in ("landing", "quarantine", "build", "serving/versions", "state", "staging"):
            (ws.root / sub).mkdir(parents=True, exist_ok=True)
        return ws

    @property
    def landing(self) -> Landing:
        return Landing(self.root / "landing")

    @property
    def served_db(self) -> Path:
        return self.root / "serving" / "pacte.duckdb"

    @property
    def last_failure_path(self) -> Path:
        """The French summary of the last failed Airflow task (dags/_common.py), shown by `bin/pacte status`."""
        return self.root / "state" / FAILURE_FILE

    @property
    def publication_path(self) -> Path:
        return self.root / "serving" / "publication.json"

    def staging_dir(self, run_id: str) -> Path:
        return self.root / "staging" / run_id

    def build_db(self, run_id: str) -> Path:
        return self.root / "build" / run_id / BUILD_FILE

    def quarantine_dir(self, run_id: str) -> Path:
        return self.root / "quarantine" / run_id

    # --- state shared between runs -------------------------------------------------------------
    def departements(self) -> list[str]:
        path = self.root / "state" / "departements.json"
        return json.loads(path.read_text()) if path.exists() else []

    def add_departement(self, code: str) -> list[str]:
        deps = sorted(set(self.departements()) | {code})
        path = self.root / "state" / "departements.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(deps))
        os.replace(tmp, path)
        return deps

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Only one process writes a workspace (landing, build, publish) at a time."""
        path = self.root / ".ecriture.lock"
        with path.open("a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.seek(0)
                raise PacteError(f"Un autre traitement écrit déjà dans l'espace de travail {self.root} "
                                  f"(processus {fh.read().strip() or 'inconnu'}). Réessayez quand il sera terminé.") from None
            fh.seek(0)
            fh.truncate()
            fh.write(str(os.getpid()))
            fh.flush()
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
