"""The deliverables of a published version, regenerated after each successful build (Airflow task
`produire_livrables` of `build_warehouse`, or by hand): per département of the publication, the report (PDF and
DOCX) and the Excel workbook, in `<workspace>/livrables/<version>/`, listed by `bin/pacte status`."""

from __future__ import annotations

from pathlib import Path

from ingestion.errors import PacteError
from warehouse.livrables import classeur, rapport
from warehouse.livrables.pistes import served_file
from warehouse.publish import current_publication
from warehouse.workspace import Workspace

DOSSIER = "livrables"


def dossier(ws: Workspace, version: str) -> Path:
    return ws.root / DOSSIER / version


def produire(ws: Workspace) -> list[Path]:
    """Write the deliverables of the current publication (read-only on the served file); returns the files."""
    publication = current_publication(ws)
    if publication is None:
        raise PacteError(f"Aucune version publiée dans {ws.root} : rien à produire.")
    served = served_file(ws)
    cible = dossier(ws, publication["version"])
    cible.mkdir(parents=True, exist_ok=True)
    fichiers = []
    for dep in publication["departements"]:
        for fmt in ("pdf", "docx"):
            fichiers.append(rapport.generer(served, dep, fmt, cible / f"rapport_diagnostic_{dep}.{fmt}", publication))
        classeur.generer(served, dep, cible / f"diagnostic_{dep}.xlsx", publication)
        fichiers.append(cible / f"diagnostic_{dep}.xlsx")
    return fichiers


def livrables_publies(ws: Workspace) -> list[Path]:
    """The deliverables already produced for the current publication (empty when none)."""
    publication = current_publication(ws)
    if publication is None:
        return []
    cible = dossier(ws, publication["version"])
    return sorted(p for p in cible.iterdir() if p.is_file()) if cible.is_dir() else []
