"""`bin/pacte classeur --departement 16`: the formatted workbook holds what the published file says."""

from __future__ import annotations

from pathlib import Path

import duckdb
import openpyxl
import pytest

from tests.conftest import run_cli

GRAND_ANGOULEME = "200071827"


@pytest.fixture(scope="module")
def classeur(small_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("classeur") / "diagnostic_16.xlsx"
    served = small_ws / "serving" / "pacte.duckdb"
    before = served.stat().st_mtime_ns
    proc = run_cli("classeur", "--departement", "16", "--workspace", str(small_ws), "--sortie", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Classeur écrit" in proc.stdout and "Pistes (24 lignes)" in proc.stdout
    assert served.stat().st_mtime_ns == before  # read-only
    return out


def _table(wb: openpyxl.Workbook, sheet: str) -> list[dict[str, object]]:
    rows = list(wb[sheet].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_sheets_headers_and_formatting(classeur: Path) -> None:
    wb = openpyxl.load_workbook(classeur)
    assert wb.sheetnames == ["Lisez-moi", "Dispositifs", "Indicateurs EPCI", "Écarts", "Pistes", "Fiches actions",
                             "Suivi des indicateurs"]
    ind = wb["Indicateurs EPCI"]
    assert [c.value for c in ind[1]][:8] == ["Code EPCI (SIREN)", "EPCI", "Axe", "Thème", "Indicateur", "Unité",
                                             "Millésime", "Valeur"]
    assert ind.freeze_panes == "C2" and ind.auto_filter.ref.startswith("A1:")
    assert wb["Pistes"].freeze_panes == "A2" and wb["Écarts"].auto_filter.ref
    ecarts = wb["Écarts"]
    regles = [r for cf in ecarts.conditional_formatting for r in cf.rules]
    assert {r.type for r in regles} >= {"cellIs", "colorScale"}
    assert any(r.formula == ['"non couvert"'] for r in regles)
    assert any(r.type == "dataBar" for cf in wb["Pistes"].conditional_formatting for r in cf.rules)
    taux = next(r for r in ind.iter_rows(min_row=2) if r[4].value == "Taux de pauvreté (seuil 60 %)")
    assert taux[7].number_format == '#,##0.0" %"'  # the unit's decimals and the unit, from seed ref_unites
    lisez = [r for r in wb["Lisez-moi"].iter_rows(values_only=True)]
    texte = " ".join(str(v) for r in lisez for v in r if v is not None)
    assert "département 16" in texte and "cc_filosofi_2021_COM.csv" in texte and "EPCI_au_01-01-2024.xlsx" in texte
    assert "1,5 écart-type" in texte and "Score des pistes" in texte


def test_values_equal_the_served_marts(classeur: Path, small_ws: Path) -> None:
    wb = openpyxl.load_workbook(classeur)
    with duckdb.connect(str(small_ws / "serving" / "pacte.duckdb"), read_only=True) as con:
        valeur, dep, france = con.execute(
            "select valeur, valeur_departement, valeur_france from marts.indicateurs_epci where code_epci = $e and "
            "indicateur_id = 'taux_pauvrete_60' and est_dernier_millesime and code_departement = '16'",
            {"e": GRAND_ANGOULEME}).fetchone()
        pistes = con.execute("select piste_id, rang, score, argumentaire from marts.pistes "
                             "where code_departement = '16' order by axe, rang").fetchall()
        n_ecarts = con.execute("select count(*) from marts.ecarts_epci where code_departement = '16'").fetchone()[0]
        sha = con.execute("select sha256 from marts.provenance where fichier = 'cc_filosofi_2021_COM.csv'").fetchone()[0]
    ligne = next(r for r in _table(wb, "Indicateurs EPCI")
                 if r["Code EPCI (SIREN)"] == GRAND_ANGOULEME and r["Indicateur"] == "Taux de pauvreté (seuil 60 %)")
    assert ligne["EPCI"] == "CA du Grand Angoulême" or "Angoulême" in str(ligne["EPCI"])
    assert (ligne["Valeur"], ligne["Valeur du département"], ligne["Valeur France"]) == (valeur, dep, france)
    assert 10 < valeur < 30
    shown = [(r["Piste (identifiant)"], r["Rang"], r["Score (sur 4)"], r["Argumentaire"]) for r in _table(wb, "Pistes")]
    assert shown == pistes
    assert len(_table(wb, "Écarts")) == n_ecarts == 171
    assert any(sha in (v or "") for r in wb["Lisez-moi"].iter_rows(values_only=True) for v in r if isinstance(v, str))


def test_unknown_departement_is_refused_in_french(small_ws: Path, tmp_path: Path) -> None:
    proc = run_cli("classeur", "--departement", "40", "--workspace", str(small_ws), "--sortie",
                   str(tmp_path / "x.xlsx"))
    assert proc.returncode == 1
    assert "Le département 40 n'est pas dans l'entrepôt publié" in proc.stderr
    assert not (tmp_path / "x.xlsx").exists()
