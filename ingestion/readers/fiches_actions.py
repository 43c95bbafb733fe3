"""Filled fiches actions (template of `bin/pacte template fiches-actions`): one sheet per fiche.

The reader checks each fiche's fields (département, known piste, pilote filled in) and refuses personal data in
the cells typed by hand (the rules of the dispositifs reader), naming sheet, field and row; the GX suite
`fiches_actions__classeur` checks the two tables of each sheet (control frames named by sheet, columns = the
French headers, index = Excel row): annual réalisation targets 2024-2027 present and numeric, résultat indicators
known to the catalogue, cible 2027 present and numeric.
"""

from __future__ import annotations

import re

import pandas as pd

from ingestion.errors import InvalidFile, Issue
from ingestion.fiches_template import ANNEES, CATALOGUE, FICHE, REALISATION, RESULTAT
from ingestion.readers.common import ReadResult
from ingestion.readers.dispositifs import donnees_personnelles
from ingestion.readers.workbook import cell_text, check_cell_lengths, check_sheet_extent, open_workbook
from ingestion.reference import DEPARTEMENT_CODE
from ingestion.registry import RecognisedFile

LISEZ_MOI = "Lisez-moi"
CIBLES = [f"Cible {a}" for a in ANNEES]
COLONNES_INDICATEURS = ["code_departement", "piste_id", "type_indicateur", "indicateur", "unite", "annee", "cible",
                        "valeur_t0", "millesime_t0", "source_t0", "feuille", "ligne"]
SAISIS = ("Intitulé", "Pilote", "Co-porteurs (acteur associé)", "Territoire (EPCI)")  # typed by hand: checked


def nombre(value: object) -> float | None:
    """A number as typed in a French workbook (1 200,5), else None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = re.sub(r"[\s\u202f\u00a0]", "", str(value or "")).replace(",", ".")
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _table(rows: list[tuple], header_row: int, end_row: int,
           headers: list[str]) -> list[tuple[int, dict[str, str | None]]]:
    """The non-empty rows after a table header up to `end_row` (Excel row numbers)."""
    out = []
    for n in range(header_row + 1, min(end_row, len(rows)) + 1):
        values = {h: cell_text(rows[n - 1][j]) if j < len(rows[n - 1]) else None for j, h in enumerate(headers)}
        if any(values.values()):
            out.append((n, values))
    return out


def read_fiches_actions(fichier: RecognisedFile) -> ReadResult:

    path = fichier.path
    wb = open_workbook(path)
    feuilles = [f for f in wb.sheetnames if f not in (LISEZ_MOI, CATALOGUE)]
    if not feuilles:
        raise InvalidFile(path.name, "aucune fiche action (une feuille par piste retenue) dans le classeur")
    check_sheet_extent(path, feuilles)
    contenu = {}
    for nom in feuilles:
        sheet = wb[nom]
        sheet.reset_dimensions()
        contenu[nom] = list(sheet.iter_rows(values_only=True))
        check_cell_lengths(path, nom, contenu[nom])
    wb.close()
    issues: list[Issue] = []
    fiches, indicateurs, checks, feuille_de = [], [], {}, {}
    for nom, rows in contenu.items():
        premiere = [cell_text(r[0]) if r else None for r in rows]
        champs: dict[str, tuple[int, str | None]] = {}
        avant = len(issues)
        for label, _ in FICHE:
            if label not in premiere:
                issues.append(Issue(regle=f"champ « {label} » absent de la colonne A (ligne supprimée ou renommée : "
                                          "régénérez les fiches)", feuille=nom, colonne="A"))
                continue
            n = premiere.index(label) + 1
            champs[label] = (n, cell_text(rows[n - 1][1]) if len(rows[n - 1]) > 1 else None)
        if REALISATION not in premiere or RESULTAT[0] not in premiere:
            issues.append(Issue(regle="tableau des indicateurs de réalisation ou de résultat absent (en-tête renommé)",
                                feuille=nom, colonne="A"))
        if len(issues) > avant:
            continue
        dep, piste = champs["Département"][1], champs["Piste (identifiant)"][1]
        if not dep or not DEPARTEMENT_CODE.match(dep):
            issues.append(Issue(regle="code département invalide", feuille=nom, colonne="B",
                                lignes=[champs["Département"][0]]))
        if not champs["Pilote"][1]:
            issues.append(Issue(regle="pilote de la fiche non renseigné", feuille=nom, colonne="B",
                                lignes=[champs["Pilote"][0]]))
        for label in SAISIS:
            n, value = champs[label]
            for kind in donnees_personnelles(value or ""):
                issues.append(Issue(regle=f"donnée personnelle interdite ({kind}) en cellule B{n} : indiquez une "
                                          "fonction ou une institution", feuille=nom, colonne=label, lignes=[n]))
        fiches.append({"code_departement": dep, "piste_id": piste, "intitule": champs["Intitulé"][1],
                       "pilote": champs["Pilote"][1], "co_porteurs": champs["Co-porteurs (acteur associé)"][1],
                       "territoire": champs["Territoire (EPCI)"][1],
                       "part_etat": nombre(champs["Financement : part État (€)"][1]),
                       "cofinancement": nombre(champs["Financement : cofinancement du département (50 %) (€)"][1]),
                       "feuille": nom})
        debut_resultat = premiere.index(RESULTAT[0]) + 1
        realisation = _table(rows, premiere.index(REALISATION) + 1, debut_resultat - 1, [REALISATION, "Unité", *CIBLES])
        resultat = _table(rows, debut_resultat, len(rows), RESULTAT)
        for kind_rows, label in ((realisation, REALISATION), (resultat, "Indicateur")):
            for n, values in kind_rows:
                for kind in donnees_personnelles(values.get(label) or ""):
                    issues.append(Issue(regle=f"donnée personnelle interdite ({kind}) en colonne A, ligne {n}",
                                        feuille=nom, colonne=label, lignes=[n]))
        for key, table in ((f"realisation {nom}", realisation), (f"resultat {nom}", resultat)):
            frame = pd.DataFrame([v for _, v in table], index=[n for n, _ in table], dtype=object)
            frame.index.name = "ligne"
            checks[key] = frame
            feuille_de[key] = nom
        for n, v in realisation:
            for annee, col in zip(ANNEES, CIBLES, strict=True):
                indicateurs.append({"code_departement": dep, "piste_id": piste, "type_indicateur": "realisation",
                                    "indicateur": v[REALISATION], "unite": v["Unité"], "annee": annee,
                                    "cible": nombre(v[col]), "valeur_t0": None, "millesime_t0": None,
                                    "source_t0": None, "feuille": nom, "ligne": n})
        for n, v in resultat:
            indicateurs.append({"code_departement": dep, "piste_id": piste, "type_indicateur": "resultat",
                                "indicateur": v[RESULTAT[0]], "unite": v["Unité"], "annee": ANNEES[-1],
                                "cible": nombre(v["Cible 2027"]), "valeur_t0": nombre(v["Valeur T0"]),
                                "millesime_t0": v["Millésime T0"], "source_t0": v["Source du T0"], "feuille": nom,
                                "ligne": n})
    if issues:  # cells are named, their content never repeated
        raise InvalidFile(path.name, issues)
    checks["fiches"] = pd.DataFrame(fiches, dtype=object)
    tables = {"fiches_actions": pd.DataFrame(fiches),
              "fiches_indicateurs": pd.DataFrame(indicateurs, columns=COLONNES_INDICATEURS).astype(
                  {"annee": "int64", "ligne": "int64"})}
    return ReadResult(checks=checks, tables=tables, info={"feuille_de": feuille_de})
