"""Round trip of the comité's workbook of the pistes (étape 3): `bin/pacte template pistes` pre-fills the ranked
pistes of the published warehouse; the filled workbook dropped in the inbox is recognised, validated (GX suite
pistes__classeur), landed, and changes the ranking of marts.pistes at the next build; a bad workbook is refused
with a French message naming sheet, column and row, and nothing is published."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import openpyxl
import pytest

from ingestion.errors import InvalidFile
from ingestion.registry import recognise
from tests.conftest import EPCI_2024, charente_filosofi, run_cli
from warehouse.ingest import read_and_validate


@pytest.fixture(scope="module")
def template(small_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pistes") / "pistes_comite_16.xlsx"
    proc = run_cli("template", "pistes", "--departement", "16", "--workspace", str(small_ws), "--sortie", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "24 pistes classées du département 16" in proc.stdout
    return out


def _rows(path: Path) -> tuple[list[str], list[list[object]]]:
    ws = openpyxl.load_workbook(path)["Pistes"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    return [str(h) for h in rows[0]], rows[1:]


def _fill(template: Path, target: Path, edits: dict[str, dict[str, object]], sheet: str = "Pistes") -> Path:
    """Copy of the template with cells set by piste id and header (what a comité does in Excel)."""
    wb = openpyxl.load_workbook(template)
    ws = wb["Pistes"]
    headers = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        for header, value in edits.get(row[headers.index("Piste (identifiant)")].value, {}).items():
            row[headers.index(header)].value = value
    ws.title = sheet
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


def test_template_lists_the_ranked_pistes_of_the_published_mart(template: Path, small_ws: Path) -> None:
    headers, rows = _rows(template)
    with duckdb.connect(str(small_ws / "serving" / "pacte.duckdb"), read_only=True) as con:
        published = con.execute("select piste_id, rang, score, acteur_associe from marts.pistes "
                                "where code_departement = '16' order by axe, rang").fetchall()
    shown = [(r[headers.index("Piste (identifiant)")], r[headers.index("Rang")], r[headers.index("Score (sur 4)")],
              r[headers.index("Acteur associé")]) for r in rows]
    assert shown == published
    assert {r[headers.index("Axe du Pacte")][:1] for r in rows} == {"1", "2", "3", "4"}
    wb = openpyxl.load_workbook(template)
    validations = {str(dv.sqref): (dv.type, dv.formula1, dv.formula2) for dv in wb["Pistes"].data_validations.dataValidation}
    assert ("list", "=Listes!$A$2:$A$4", None) in validations.values()  # retenue / amendée / écartée
    # levier and faisabilité: drop-down lists of the scores 1 to 4
    assert {("list", "=Listes!$B$2:$B$5", None), ("list", "=Listes!$C$2:$C$5", None)} <= set(validations.values())
    assert [wb["Listes"].cell(row=i, column=1).value for i in (2, 3, 4)] == ["retenue", "amendée", "écartée"]
    assert [wb["Listes"].cell(row=i, column=2).value for i in (2, 3, 4, 5)] == [1, 2, 3, 4]
    assert wb["Pistes"].freeze_panes == "D2" and wb["Pistes"].auto_filter.ref == "A1:N25"


@pytest.mark.parametrize(("edits", "sheet", "attendu"), [
    ({"A1-01": {"Axe du Pacte": "5 — Axe inventé", "Décision du comité": "retenue"}}, "Pistes",
     ["feuille « Pistes »", "colonne « Axe du Pacte »", "axe inconnu", "lignes 3"]),
    ({"A1-01": {"Effet levier (1 à 4)": 7}}, "Pistes",
     ["feuille « Pistes »", "colonne « Effet levier (1 à 4) »", "1 à 4", "lignes 3", "'7'"]),
    ({"A2-01": {"Commentaire du comité": "voir avec marie.dupont@cd16.fr", "Décision du comité": "retenue"}},
     "Pistes", ["feuille « Pistes »", "colonne « Commentaire du comité »", "adresse électronique personnelle",
                "cellule(s) N9"]),
    ({"A1-01": {"Décision du comité": "retenue"}}, "Pistes comité",
     ["feuille « Pistes » absente ou renommée", "Pistes comité"]),
    ({"A1-01": {"Décision du comité": "validée"}}, "Pistes",
     ["colonne « Décision du comité »", "retenue, amendée, écartée", "lignes 3"]),
])
def test_bad_workbook_is_refused_naming_sheet_column_and_row(template: Path, tmp_path: Path,
                                                             edits: dict[str, dict[str, object]], sheet: str,
                                                             attendu: list[str]) -> None:
    path = _fill(template, tmp_path / "pistes_comite_16.xlsx", edits, sheet=sheet)
    fichier = recognise(path)
    assert fichier is not None and fichier.source_id == "pistes"
    with pytest.raises(InvalidFile) as exc:
        read_and_validate(fichier)
    message = str(exc.value)
    assert message.startswith("Fichier refusé : pistes_comite_16.xlsx")
    for fragment in attendu:
        assert fragment in message, message
    assert "marie.dupont" not in message  # the cell is named, its content never repeated


def test_amended_workbook_changes_the_ranking_and_a_bad_one_publishes_nothing(template: Path,
                                                                                tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy2(EPCI_2024, inbox / EPCI_2024.name)
    charente_filosofi(inbox / "cc_filosofi_2021_COM.csv")
    ws = tmp_path / "ws"
    headers, rows = _rows(template)
    axe1 = [r[headers.index("Piste (identifiant)")] for r in rows if str(r[headers.index("Axe du Pacte")])[0] == "1"]
    premier, dernier = axe1[0], axe1[-1]
    _fill(template, inbox / "pistes_comite_16.xlsx", {
        dernier: {"Décision du comité": "retenue", "Effet levier (1 à 4)": 4, "Faisabilité (1 à 4)": 4,
                  "Commentaire du comité": "Priorité du comité"},
        premier: {"Décision du comité": "écartée"},
        "A2-01": {"Décision du comité": "amendée", "Intitulé amendé": "Accompagnement global des BRSA",
                  "Acteur associé": "Département"}})
    proc = run_cli("run", "--departement", "16", "--inbox", str(inbox), "--workspace", str(ws))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Classeur des pistes du comité" in proc.stdout
    served = ws / "serving" / "pacte.duckdb"
    with duckdb.connect(str(served), read_only=True) as con:
        axe1_apres = con.execute("select piste_id, rang, decision, levier_texte, score from marts.pistes "
                                 "where code_departement = '16' and axe = '1' order by rang").fetchall()
        a2 = con.execute("select intitule, decision, acteur_associe, argumentaire from marts.pistes "
                         "where piste_id = 'A2-01'").fetchone()
        version = con.execute("select build_id from construction.parametres").fetchone()[0]
        rattachement = con.execute("select code_departement, rattachement_departement from marts.provenance "
                                   "where source_id = 'pistes'").fetchall()
    assert rattachement == [("16", "département du classeur des pistes")]  # seen by the comité of 16 only
    assert axe1_apres[0][:4] == (dernier, 1, "retenue", "4 / 4")  # was last of axe 1 before the comité
    assert axe1_apres[-1][0] == premier and axe1_apres[-1][2] == "écartée"
    # score = (0.4 × besoin + 0.2 × articulation + 0.2 × 4 + 0.2 × 4): two points above the neutral 2.5 × 0.2 × 2
    assert axe1_apres[0][4] == pytest.approx(axe1_apres[1][4] + 0.6, abs=0.011)
    assert a2[:3] == ("Accompagnement global des BRSA", "amendée", "France Travail ; Département")
    assert "Décision du comité : amendée" in a2[3] and "pistes_comite_16.xlsx" in a2[3]

    # a bad workbook afterwards: exit 2, French message, nothing landed, the published version unchanged
    (inbox / "pistes_comite_16.xlsx").unlink()
    _fill(template, inbox / "pistes_comite_16_v2.xlsx", {premier: {"Faisabilité (1 à 4)": 7}})
    proc = run_cli("run", "--departement", "16", "--inbox", str(inbox), "--workspace", str(ws))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "colonne « Faisabilité (1 à 4) »" in proc.stderr and "feuille « Pistes »" in proc.stderr
    assert "Rien n'a été chargé ni publié" in proc.stderr
    with duckdb.connect(str(served), read_only=True) as con:
        assert con.execute("select build_id from construction.parametres").fetchone()[0] == version
