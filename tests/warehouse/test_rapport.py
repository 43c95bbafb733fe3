"""`bin/pacte rapport`: the PDF is rendered to images (pdftoppm) and checked page by page; the DOCX is editable
(headings, tables, pictures); the report names every EPCI of the département."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from PIL import Image

from tests.conftest import run_cli


def _epci(ws: Path) -> list[str]:
    with duckdb.connect(str(ws / "serving" / "pacte.duckdb"), read_only=True) as con:
        return [r[0] for r in con.execute("select distinct libelle from marts.ecarts_epci where code_departement = '16'")
                .fetchall()]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) absent")
def test_pdf_report_on_the_demo(demo_ws: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "rapport.pdf"
    proc = run_cli("rapport", "--departement", "16", "--format", "pdf", "--workspace", str(demo_ws), "--sortie", str(pdf))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert 5 <= len(pages) <= 30
    for page in pages:
        image = Image.open(page).convert("L")
        width, height = image.size
        pixels = image.load()
        dark = sum(1 for x in range(width) for y in range(height) if pixels[x, y] < 200)
        assert dark > 0.005 * width * height, f"{page.name} is blank"
        margin = [pixels[x, y] for x in range(width - width // 30, width) for y in range(height)]
        assert min(margin) > 200, f"{page.name}: content beyond the right margin"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    for name in _epci(demo_ws):
        assert " ".join(name.split()) in flat, name
    for titre in ("Synthèse", "Étape 1 — Besoins", "Étape 2 — Offre", "Étape 3 — Pistes de contractualisation",
                  "Annexes — méthode et sources", "données SYNTHÉTIQUES"):
        assert titre in flat, titre
    # the two maps (EPCI and service points) are images of the PDF, not empty
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    sizes = [line.split() for line in images.splitlines()[2:]]
    assert len([s for s in sizes if int(s[3]) > 300 and int(s[4]) > 300]) >= 2


def test_docx_report_is_editable(demo_ws: Path, tmp_path: Path) -> None:
    from docx import Document

    out = tmp_path / "rapport.docx"
    proc = run_cli("rapport", "--departement", "16", "--format", "docx", "--workspace", str(demo_ws), "--sortie",
                   str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = Document(str(out))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:3] == ["Synthèse", "Étape 1 — Besoins", "Étape 2 — Offre"]
    assert len(doc.inline_shapes) >= 2 and len(doc.tables) >= 6
    pauvrete = doc.tables[0]
    assert [c.text for c in pauvrete.rows[0].cells] == ["EPCI", "Taux", "Département", "France", "Millésime"]
    assert {r.cells[0].text for r in pauvrete.rows[1:]} == set(_epci(demo_ws))


def test_report_without_contours_says_the_map_is_missing(small_ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "rapport.html"
    proc = run_cli("rapport", "--departement", "16", "--format", "html", "--workspace", str(small_ws), "--sortie",
                   str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    html = out.read_text(encoding="utf-8")
    assert "Carte des EPCI non disponible : aucun contour communal chargé." in html
    for name in _epci(small_ws):
        assert name.replace("'", "&#x27;") in html, name
