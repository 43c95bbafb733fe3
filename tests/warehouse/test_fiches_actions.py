"""`bin/pacte template fiches-actions`: one sheet per piste the comité retained or amended, T0 values from the
named frozen snapshot (else from the published build), and it says which."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import openpyxl
import pytest

from tests.conftest import run_cli


@pytest.fixture(scope="module")
def ws_comite(small_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """small_ws's inbox plus the comité's workbook retaining A3-01 and amending A4-04, run and frozen as T0-TEST."""
    root = tmp_path_factory.mktemp("fiches")
    inbox = root / "inbox"
    shutil.copytree(small_ws.parent / "inbox", inbox)
    classeur = root / "pistes_comite_16.xlsx"
    proc = run_cli("template", "pistes", "--departement", "16", "--workspace", str(small_ws), "--sortie", str(classeur))
    assert proc.returncode == 0, proc.stderr
    wb = openpyxl.load_workbook(classeur)
    ws = wb["Pistes"]
    headers = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        piste = row[headers.index("Piste (identifiant)")].value
        if piste in ("A3-01", "A4-04"):
            row[headers.index("Décision du comité")].value = "retenue" if piste == "A3-01" else "amendée"
    wb.save(inbox / classeur.name)
    for args in (("run", "--departement", "16", "--inbox", str(inbox)),
                 ("t0", "freeze", "--label", "T0-TEST", "--departement", "16")):
        proc = run_cli(*args, "--workspace", str(root / "ws"))
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return root / "ws"


def _resultats(ws: openpyxl.worksheet.worksheet.Worksheet) -> list[dict[str, object]]:
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == "Indicateur de résultat (identifiant)")
    return [dict(zip(rows[start], r, strict=False)) for r in rows[start + 1:] if r[0]]


def test_fiches_take_their_t0_from_the_named_snapshot(ws_comite: Path, tmp_path: Path) -> None:
    out = tmp_path / "fiches.xlsx"
    proc = run_cli("template", "fiches-actions", "--departement", "16", "--t0", "T0-TEST", "--workspace",
                   str(ws_comite), "--sortie", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 fiche(s) : A3-01, A4-04" in proc.stdout and "photographie T0-TEST" in proc.stdout
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Lisez-moi", "Listes", "A3-01", "A4-04"]
    fiche = wb["A3-01"]
    champs = {r[0]: r[1] for r in fiche.iter_rows(min_row=2, max_row=10, values_only=True)}
    assert champs["Piste (identifiant)"] == "A3-01" and "Accès aux droits" in champs["Axe du Pacte"]
    assert champs["Pilote"] is None and "CAF" in champs["Co-porteurs (acteur associé)"]
    assert "Angoulême" in champs["Territoire (EPCI)"] and champs["Argumentaire (diagnostic)"].startswith("Besoin")
    parquet = ws_comite / "t0" / "T0-TEST" / "indicateurs_t0.parquet"
    with duckdb.connect() as con:
        attendu = con.execute(f"select valeur, millesime_periode from read_parquet('{parquet}') where niveau = "
                              "'departement' and code_territoire = '16' and indicateur_id = 'taux_pauvrete_60' "
                              "and est_dernier_millesime").fetchone()
    taux = next(r for r in _resultats(fiche) if r["Indicateur de résultat (identifiant)"] == "taux_pauvrete_60")
    assert (taux["Valeur T0"], taux["Millésime T0"]) == attendu and 15 < attendu[0] < 20
    assert taux["Source du T0"].startswith("photographie T0-TEST (figée le ") and taux["Cible 2027"] is None
    assert ("Indicateurs de réalisation (annuels)", "Unité", "Cible 2024", "Cible 2025", "Cible 2026",
            "Cible 2027") in [r[:6] for r in fiche.iter_rows(values_only=True)]


def test_without_snapshot_the_t0_is_the_published_build_and_says_so(ws_comite: Path, tmp_path: Path) -> None:
    out = tmp_path / "fiches.xlsx"
    proc = run_cli("template", "fiches-actions", "--departement", "16", "--workspace", str(ws_comite),
                   "--sortie", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with duckdb.connect(str(ws_comite / "serving" / "pacte.duckdb"), read_only=True) as con:
        build_id = con.execute("select build_id from construction.parametres").fetchone()[0]
    taux = next(r for r in _resultats(openpyxl.load_workbook(out)["A4-04"])
                if r["Indicateur de résultat (identifiant)"] == "taux_pauvrete_60")
    assert taux["Source du T0"] == f"construction publiée {build_id} (aucune photographie T0 nommée)"
    proc = run_cli("template", "fiches-actions", "--departement", "16", "--t0", "INCONNUE", "--workspace",
                   str(ws_comite), "--sortie", str(tmp_path / "x.xlsx"))
    assert proc.returncode == 1 and "Photographie inconnue : « INCONNUE »" in proc.stderr
