"""`bin/pacte template pistes --departement DD`: the comité's workbook, pre-filled with the ranked pistes of
marts.pistes read from the published file (read-only). Layout: ingestion.pistes_template; read back by
ingestion.readers.pistes when the filled workbook is dropped in the inbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from ingestion.errors import PacteError
from ingestion.pistes_template import COLONNES, DECISIONS, FEUILLE, FEUILLE_LISTES, NOTES, axe_libelle
from warehouse.workspace import Workspace

# marts.pistes column shown under each header (the comité's columns start from the published decisions).
SOURCE_DE = {"Département": "code_departement", "Piste (identifiant)": "piste_id", "Rang": "rang",
             "Score (sur 4)": "score", "Piste": "intitule", "EPCI concernés": "epci_concernes",
             "Argumentaire": "argumentaire", "Effet levier (1 à 4)": "note_levier",
             "Faisabilité (1 à 4)": "note_faisabilite", "Acteur associé": "acteur_associe",
             "Commentaire du comité": "commentaire_comite"}


def served_file(ws: Workspace) -> Path:
    served = ws.root / "serving" / "pacte.duckdb"
    if not served.exists():
        raise PacteError(f"Aucun entrepôt publié dans {ws.root} : lancez d'abord « bin/pacte run ».")
    return served


def pistes_classees(served: Path, departement: str) -> list[dict[str, object]]:
    with duckdb.connect(str(served), read_only=True) as con:
        if not con.execute("select count(*) from duckdb_tables() where schema_name = 'marts' "
                           "and table_name = 'pistes'").fetchone()[0]:
            raise PacteError("L'entrepôt publié ne contient pas encore marts.pistes : relancez « bin/pacte run » "
                             "pour le reconstruire avec cette version.")
        cur = con.execute("select * from marts.pistes where code_departement = $dep order by axe, rang",
                          {"dep": departement})
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    if not rows:
        raise PacteError(f"Aucune piste pour le département {departement} dans l'entrepôt publié.")
    return rows


def generer(sortie: Path, pistes: list[dict[str, object]]) -> int:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = FEUILLE
    saisie = PatternFill("solid", fgColor="FFF2CC")
    for j, (header, _, width, a_remplir) in enumerate(COLONNES, start=1):
        cell = ws.cell(row=1, column=j, value=header)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="C55A11" if a_remplir else "1F4E79")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[cell.column_letter].width = width
    for i, p in enumerate(pistes, start=2):
        for j, (header, _, _, a_remplir) in enumerate(COLONNES, start=1):
            if header == "Axe du Pacte":
                value: object = axe_libelle(str(p["axe"]))
            elif header == "Décision du comité":
                value = p["decision"] if p["decision"] in DECISIONS else None
            else:
                value = p.get(SOURCE_DE.get(header, ""))
            cell = ws.cell(row=i, column=j, value=value)
            cell.alignment = Alignment(wrap_text=header in ("Argumentaire", "Piste", "EPCI concernés"),
                                       vertical="top")
            if a_remplir:
                cell.fill = saisie
    ws.freeze_panes = "D2"
    ws.auto_filter.ref = f"A1:{ws.cell(row=1, column=len(COLONNES)).column_letter}{len(pistes) + 1}"
    ref = wb.create_sheet(FEUILLE_LISTES)
    headers = [h for h, _, _, _ in COLONNES]
    listes = [("Décision du comité", DECISIONS, "Choisissez retenue, amendée ou écartée."),
              ("Effet levier (1 à 4)", NOTES, "Notez de 1 (faible) à 4 (fort)."),
              ("Faisabilité (1 à 4)", NOTES, "Notez de 1 (faible) à 4 (fort).")]
    for k, (header, values, erreur) in enumerate(listes, start=1):
        ref.cell(row=1, column=k, value=header)
        for i, v in enumerate(values, start=2):
            ref.cell(row=i, column=k, value=v)
        letter = ref.cell(row=1, column=k).column_letter
        dv = DataValidation(type="list", formula1=f"={FEUILLE_LISTES}!${letter}$2:${letter}${len(values) + 1}",
                            allow_blank=True, showErrorMessage=True, errorTitle="Valeur non prévue", error=erreur)
        col = ws.cell(row=1, column=headers.index(header) + 1).column_letter
        dv.add(f"{col}2:{col}{len(pistes) + 1}")
        ws.add_data_validation(dv)
    ref.sheet_state = "hidden"
    sortie.parent.mkdir(parents=True, exist_ok=True)
    wb.save(sortie)
    return len(pistes)


def command(args: Any, console: Any) -> int:
    """`bin/pacte template pistes --departement DD [--sortie F] [--workspace W]`."""
    from ingestion.reference import departement_error

    if not args.departement or departement_error(args.departement):
        raise PacteError("Indiquez le département du comité : --departement DD (ex. 16).")
    ws = Workspace.at(args.workspace)
    sortie = args.sortie or Path(f"pistes_comite_{args.departement}.xlsx")
    n = generer(sortie, pistes_classees(served_file(ws), args.departement))
    console.print(f"[green]Classeur du comité écrit[/] : {sortie} — {n} pistes classées du département "
                  f"{args.departement}. Remplissez les colonnes orange (décision, effet levier et faisabilité de 1 à "
                  "4, texte libre) puis déposez le fichier dans le dépôt : la prochaine exécution le valide et "
                  "reclasse les pistes.")
    return 0
