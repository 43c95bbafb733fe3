"""The synthetic demo inbox is reproducible byte for byte: office files carry no time of writing."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

import openpyxl

from demo.synthetic.documents import write_docx
from demo.synthetic.reproducible import freeze

REPO = Path(__file__).resolve().parents[2]
PARAGRAPHS = [("Axe 1 : prévention de la pauvreté dès l'enfance.", False), ("Accès aux droits.", True)]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _xlsx(path: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.active.append(["CODGEO", "P21_POP"])
    wb.active.append(["16015", 41711])
    wb.save(path)
    return freeze(path)


def test_office_files_written_at_two_moments_are_identical(tmp_path: Path) -> None:
    first = [_xlsx(tmp_path / "a.xlsx"), tmp_path / "a.docx"]
    write_docx(first[1], PARAGRAPHS, "Schéma")
    time.sleep(2.1)  # zip entries are stamped to the even second
    second = [_xlsx(tmp_path / "b.xlsx"), tmp_path / "b.docx"]
    write_docx(second[1], PARAGRAPHS, "Schéma")
    assert [_sha(p) for p in first] == [_sha(p) for p in second]
    assert openpyxl.load_workbook(second[0]).active["B2"].value == 41711  # still a valid workbook


def test_odt_written_by_two_processes_is_identical(tmp_path: Path) -> None:
    code = ("import sys; from pathlib import Path; from demo.synthetic.documents import write_odt; "
            f"write_odt(Path(sys.argv[1]), {PARAGRAPHS!r}, 'PDALHPD')")
    for name in ("a.odt", "b.odt"):
        subprocess.run([sys.executable, "-c", code, str(tmp_path / name)], cwd=REPO, check=True,
                       env={"PYTHONPATH": str(REPO)})
        time.sleep(2.1)
    assert _sha(tmp_path / "a.odt") == _sha(tmp_path / "b.odt")
