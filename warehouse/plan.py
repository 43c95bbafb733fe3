"""What a run works on.

`RunPlan`: the recognised (and unknown) files of an inbox for the départements asked for; `RunRef`: the small
JSON-serialisable reference that the steps of one run pass each other (run id, files, départements) — through
XCom between the tasks of a DAG, so that no task scans or recognises the inbox again.

Three ways to plan a run, all with one département parser (`ingestion.reference`):
- `recognise`: every file of an inbox (`bin/pacte run`, DAG `pacte_diagnostic`);
- `for_source`: one source's files (DAG `ingest_<source>`, no département before the build);
- `for_rebuild`: nothing to ingest, a build of what is landed (DAG `build_warehouse`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingestion import reference
from ingestion.errors import PacteError
from ingestion.landing import new_run_id
from ingestion.registry import RecognisedFile, scan_inbox
from warehouse.workspace import Workspace


def parse_departements(text: str) -> list[str]:
    """`16`, `16,40` or `tous` (every département of the chosen COG, resolved at build time)."""
    try:
        return reference.parse_departements(text)
    except ValueError as exc:
        raise PacteError(str(exc)) from None


@dataclass(frozen=True)
class RunRef:
    """One run as its steps pass it on: `departements` are parsed codes, `["tous"]`, or `[]` (none asked
    for: the build keeps the workspace's published départements); `files` the recognised files to ingest."""

    run_id: str
    departements: list[str] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    inbox: str | None = None  # where the inbox's lineage sidecar is (ingestion.fetch)

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "departements": list(self.departements), "files": list(self.files),
                "inbox": self.inbox}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRef:
        return cls(run_id=data["run_id"], departements=list(data.get("departements") or []),
                   files=list(data.get("files") or []), inbox=data.get("inbox"))

    def recognised(self) -> list[RecognisedFile]:
        return [RecognisedFile.from_dict(f) for f in self.files]


@dataclass
class RunPlan:
    run_id: str
    departements: list[str]
    inbox: Path | None
    recognised: list[RecognisedFile]
    unknown: list[Path] = field(default_factory=list)
    already_landed: list[str] = field(default_factory=list)  # file names, filled by ingest.validate_and_stage

    @property
    def ref(self) -> RunRef:
        return RunRef(self.run_id, list(self.departements), [f.to_dict() for f in self.recognised],
                      str(self.inbox) if self.inbox else None)

    @classmethod
    def from_ref(cls, ref: RunRef | dict[str, Any]) -> RunPlan:
        ref = ref if isinstance(ref, RunRef) else RunRef.from_dict(ref)
        return cls(run_id=ref.run_id, departements=list(ref.departements),
                   inbox=Path(ref.inbox) if ref.inbox else None, recognised=ref.recognised())

    @property
    def departement_label(self) -> str:
        return ",".join(self.departements)


def _inbox(inbox: Path) -> Path:
    if not inbox.is_dir():
        raise PacteError(f"Dossier de dépôt introuvable : {inbox}")
    return inbox


def recognise(departement: str, inbox: Path, run_id: str | None = None) -> RunPlan:
    """Every file of the inbox, recognised once; unknown files are listed, never silently skipped."""
    departements = parse_departements(departement)
    known, unknown = scan_inbox(_inbox(inbox))
    return RunPlan(run_id=run_id or new_run_id(), departements=departements, inbox=inbox, recognised=known,
                   unknown=unknown)


def for_source(source_id: str, inbox: Path, run_id: str | None = None) -> RunPlan:
    """The files of one source in the inbox, for its `ingest_<source_id>` DAG (no département before the build);
    other sources' files are left alone, neither read nor listed as unknown."""
    known, _ = scan_inbox(_inbox(inbox), source_id)
    return RunPlan(run_id=run_id or new_run_id(), departements=[], inbox=inbox, recognised=known)


def for_rebuild(ws: Workspace, departement: str | None = None) -> RunPlan:
    """A build-only run (Asset-triggered `build_warehouse`): every département already published, plus one."""
    departements = parse_departements(departement) if departement else []
    if not departements and not ws.departements():
        raise PacteError("Aucun département publié dans cet espace : indiquez le paramètre « departement » "
                         "du DAG build_warehouse (ex. 16) ou la variable PACTE_DEPARTEMENT.")
    return RunPlan(run_id=new_run_id(), departements=departements, inbox=None, recognised=[])
