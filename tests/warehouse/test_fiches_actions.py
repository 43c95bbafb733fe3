"""`bin/pacte template fiches-actions`: one sheet per piste the comité retained or amended, T0 values from the
named frozen snapshot (else from the published build), and it says which."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest

from tests.conftest import remplir_fiches, run_cli
from warehouse.livrables.rapport import _fr


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
    assert wb.sheetnames == ["Lisez-moi", "Catalogue", "A3-01", "A4-04"]
    fiche = wb["A3-01"]
    champs = {r[0]: r[1] for r in fiche.iter_rows(min_row=2, max_row=11, values_only=True)}
    assert champs["Département"] == "16"
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


def test_filled_fiches_are_validated_and_published_with_their_t0(ws_comite: Path, tmp_path: Path) -> None:
    modele = tmp_path / "modele.xlsx"
    proc = run_cli("template", "fiches-actions", "--departement", "16", "--t0", "T0-TEST", "--workspace",
                   str(ws_comite), "--sortie", str(modele))
    assert proc.returncode == 0, proc.stderr
    inbox = ws_comite.parent / "inbox"
    served = ws_comite / "serving" / "pacte.duckdb"

    # a fiche whose T0 was typed over (not the snapshot's): refused, sheet, column and row named, nothing published
    mauvais = remplir_fiches(modele, inbox / "fiches_actions_16_brouillon.xlsx")
    wb = openpyxl.load_workbook(mauvais)
    ligne_t0 = next(r[0].row for r in wb["A3-01"].iter_rows() if r[0].value == "taux_pauvrete_60")
    wb["A3-01"].cell(row=ligne_t0, column=5).value += 1.0  # « Valeur T0 »
    wb.save(mauvais)
    with duckdb.connect(str(served), read_only=True) as con:
        version = con.execute("select build_id from construction.parametres").fetchone()[0]
    proc = run_cli("run", "--departement", "16", "--inbox", str(inbox), "--workspace", str(ws_comite))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert ("feuille « A3-01 », colonne « Valeur T0 » — T0 différent de celui de la photographie « T0-TEST »"
            in proc.stderr and f"lignes {ligne_t0}" in proc.stderr), proc.stderr
    with duckdb.connect(str(served), read_only=True) as con:
        assert con.execute("select build_id from construction.parametres").fetchone()[0] == version
    mauvais.unlink()

    remplir_fiches(modele, inbox / "fiches_actions_16.xlsx")
    proc = run_cli("run", "--departement", "16", "--inbox", str(inbox), "--workspace", str(ws_comite))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    parquet = ws_comite / "t0" / "T0-TEST" / "indicateurs_t0.parquet"
    with duckdb.connect() as con:
        t0 = con.execute(f"select valeur from read_parquet('{parquet}') where niveau = 'departement' and "
                         "code_territoire = '16' and indicateur_id = 'taux_pauvrete_60' and est_dernier_millesime"
                         ).fetchone()[0]
    with duckdb.connect(str(served), read_only=True) as con:
        fiches = con.execute("select piste_id, axe, pilote, part_etat, decision from marts.fiches_actions "
                             "order by piste_id").fetchall()
        rattachement = con.execute("select code_departement, rattachement_departement from marts.provenance "
                                   "where source_id = 'fiches_actions'").fetchall()
        suivi = con.execute("select type_indicateur, annee, cible, valeur_t0, millesime_t0, source_t0, "
                            "atteinte_texte from marts.suivi_indicateurs where piste_id = 'A3-01' "
                            "order by type_indicateur, indicateur, annee").fetchall()
    assert fiches == [("A3-01", "3", "Conseil départemental (direction de l'insertion)", 120000.0, "retenue"),
                      ("A4-04", "4", "Conseil départemental (direction de l'insertion)", 120000.0, "amendée")]
    assert rattachement == [("16", "département des fiches actions")]
    realisation = [s for s in suivi if s[0] == "realisation"]
    assert [(s[1], s[2]) for s in realisation] == [(2024, 100.0), (2025, 250.0), (2026, 400.0), (2027, 500.0)]
    taux = next(s for s in suivi if s[0] == "resultat" and s[3] is not None)
    assert taux[2:5] == (16.5, pytest.approx(t0), "2021") and taux[5].startswith("photographie T0-TEST")
    assert taux[6] == "pas encore de millésime postérieur au T0"

    # the diagnostic workbook carries the fiches and their indicators as published
    classeur = tmp_path / "diagnostic_16.xlsx"
    proc = run_cli("classeur", "--departement", "16", "--workspace", str(ws_comite), "--sortie", str(classeur))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wb = openpyxl.load_workbook(classeur)
    fiches_xlsx = [r for r in wb["Fiches actions"].iter_rows(min_row=2, values_only=True)]
    assert [(r[1], r[3], r[6]) for r in fiches_xlsx] == [(f[0], f[2], f[3]) for f in fiches]
    suivi_xlsx = list(wb["Suivi des indicateurs"].iter_rows(values_only=True))
    assert suivi_xlsx[0][:3] == ("Piste (identifiant)", "Type d'indicateur", "Indicateur")
    assert ("A3-01", "resultat", "Taux de pauvreté (seuil 60 %)", "%", 2027, 16.5, pytest.approx(t0)) in \
        [r[:7] for r in suivi_xlsx]

    # the report recalls the T0 snapshot and shows each fiche's T0 and cible
    rapport = tmp_path / "rapport.html"
    proc = run_cli("rapport", "--departement", "16", "--format", "html", "--t0", "T0-TEST", "--workspace",
                   str(ws_comite), "--sortie", str(rapport))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    html = rapport.read_text(encoding="utf-8")
    assert "Photographie T0 de référence : T0-TEST (figée le " in html
    assert "<td>Taux de pauvreté (seuil 60 %)</td><td>" + _fr(t0) + "</td><td>2021</td><td>16,5</td>" in html


@pytest.mark.parametrize(("modifier", "attendu"), [
    (lambda ws, lignes: setattr(ws.cell(row=lignes["Indicateurs de réalisation (annuels)"] + 1, column=5), "value",
                                None),
     ["feuille « A3-01 », colonne « Cible 2026 »", "cible 2026 manquante", "lignes 14"]),
    (lambda ws, lignes: ws.cell(row=lignes["Indicateur de résultat (identifiant)"] + 1, column=1,
                                value="taux_invente"),
     ["feuille « A3-01 », colonne « Indicateur de résultat (identifiant) »", "inconnu du catalogue", "lignes 20"]),
    (lambda ws, lignes: ws.cell(row=lignes["Pilote"], column=2, value="Mme Durand (jean.durand@gmail.com)"),
     ["feuille « A3-01 », colonne « Pilote »", "adresse électronique personnelle", "nom de personne",
      "cellule B6"]),
    (lambda ws, lignes: setattr(ws.cell(row=lignes["Pilote"], column=2), "value", None),
     ["feuille « A3-01 », colonne « B »", "pilote de la fiche non renseigné", "lignes 6"]),
])
def test_bad_fiche_is_refused_naming_sheet_column_and_row(ws_comite: Path, tmp_path: Path, modifier: Any,
                                                          attendu: list[str]) -> None:
    from ingestion.errors import InvalidFile
    from ingestion.registry import recognise
    from warehouse.ingest import read_and_validate

    modele = tmp_path / "modele.xlsx"
    assert run_cli("template", "fiches-actions", "--departement", "16", "--workspace", str(ws_comite),
                   "--sortie", str(modele)).returncode == 0
    path = remplir_fiches(modele, tmp_path / "fiches_actions_16.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["A3-01"]
    modifier(ws, {r[0].value: r[0].row for r in ws.iter_rows() if r[0].value})
    wb.save(path)
    fichier = recognise(path)
    assert fichier is not None and fichier.source_id == "fiches_actions"
    with pytest.raises(InvalidFile) as exc:
        read_and_validate(fichier)
    message = str(exc.value)
    for fragment in attendu:
        assert fragment in message, message
    assert "jean.durand" not in message


def test_a_fiche_without_cible_or_naming_a_snapshot_this_workspace_lacks_is_refused(ws_comite: Path, tmp_path: Path) -> None:
    """The T0 is checked against the snapshot it names; a rounded T0 as shown is accepted."""
    from ingestion.errors import InvalidFile
    from ingestion.registry import recognise
    from warehouse.ingest import read_and_validate
    from warehouse.t0.fiches_t0 import check_fiches_t0

    modele = tmp_path / "modele.xlsx"
    assert run_cli("template", "fiches-actions", "--departement", "16", "--t0", "T0-TEST", "--workspace",
                   str(ws_comite), "--sortie", str(modele)).returncode == 0
    path = remplir_fiches(modele, tmp_path / "fiches_actions_16.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["A4-04"]
    ligne = next(r[0].row for r in ws.iter_rows() if r[0].value == "taux_pauvrete_60")
    ws.cell(row=ligne, column=5).value = round(ws.cell(row=ligne, column=5).value, 1)  # typed as shown: same T0
    wb.save(path)
    indicateurs = read_and_validate(recognise(path)).tables["fiches_indicateurs"]
    check_fiches_t0(ws_comite, path.name, indicateurs)  # accepted
    # a fiche without its cible 2027 is refused by its suite (GX), rows named
    sans_cible = remplir_fiches(modele, tmp_path / "fiches_actions_16_sans_cible.xlsx", sans_cible_2027=True)
    with pytest.raises(InvalidFile) as exc:
        read_and_validate(recognise(sans_cible))
    entete = next(r[0].row for r in openpyxl.load_workbook(modele)["A4-04"].iter_rows()
                  if r[0].value == "Indicateur de résultat (identifiant)")
    assert "feuille « A4-04 », colonne « Cible 2027 » — cible 2027 manquante" in str(exc.value)
    assert f"lignes {entete + 1}, {entete + 2}" in str(exc.value)  # taux_pauvrete_60, part_minima_sociaux_revenu
    autre = tmp_path / "autre_espace"
    autre.mkdir()
    with pytest.raises(InvalidFile) as exc:
        check_fiches_t0(autre, path.name, indicateurs)
    message = str(exc.value)
    assert "feuille « A3-01 », colonne « Source du T0 » — photographie « T0-TEST » absente de cet espace" in message
    assert "feuille « A4-04 »" in message
