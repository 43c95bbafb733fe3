"""The deliverables of a publication (what the Airflow task `produire_livrables` runs after each build): report
and workbook per département in livrables/<version>/, listed by `bin/pacte status`."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl

from tests.conftest import run_cli
from warehouse.livrables.production import produire
from warehouse.publish import current_publication
from warehouse.workspace import Workspace


def test_deliverables_of_the_published_version_are_written_and_listed(small_ws: Path, tmp_path: Path) -> None:
    copie = tmp_path / "ws"
    shutil.copytree(small_ws, copie, symlinks=True)
    ws = Workspace.at(copie)
    version = current_publication(ws)["version"]
    fichiers = produire(ws)
    dossier = copie / "livrables" / version
    assert sorted(f.name for f in fichiers) == ["diagnostic_16.xlsx", "rapport_diagnostic_16.docx",
                                                "rapport_diagnostic_16.pdf"]
    assert all(f.parent == dossier and f.stat().st_size > 5000 for f in fichiers)
    assert (dossier / "rapport_diagnostic_16.pdf").read_bytes().startswith(b"%PDF")
    assert "Pistes" in openpyxl.load_workbook(dossier / "diagnostic_16.xlsx").sheetnames
    proc = run_cli("status", "--workspace", str(copie))
    assert proc.returncode == 0, proc.stderr
    assert f"Livrable : {dossier / 'rapport_diagnostic_16.pdf'}" in proc.stdout
