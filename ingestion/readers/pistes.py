"""The comité's workbook of the pistes (template of `bin/pacte template pistes`), filled and dropped in the inbox.

Only rows where the comité wrote something (decision, a score, amended title, comment) are landed: an untouched
piste stays « à évaluer ». The acteur associé, pre-filled, is landed with those rows (a change of acteur alone,
without a decision, a score or a comment, is not read). The values are checked by the GX suite
`pistes__classeur` (axe, piste, decision, scores 1 to 4, one row per piste); personal data in the cells the
comité types in (the rules of the dispositifs reader: individual e-mail, phone number, person's name) is refused
here, the cell named, its content never repeated. The control frame's columns are the French headers and its
index the Excel row, so a refusal names sheet, column and row.
"""

from __future__ import annotations

import pandas as pd

from ingestion.errors import InvalidFile, Issue
from ingestion.pistes_template import COLONNES, FEUILLE, SAISIES
from ingestion.readers.common import ReadResult
from ingestion.readers.dispositifs import donnees_personnelles
from ingestion.readers.workbook import cell_text, check_cell_lengths, check_sheet_extent, open_workbook
from ingestion.registry import RecognisedFile

LIBRE = ["Intitulé amendé", "Acteur associé", "Commentaire du comité", "Décision du comité"]
CONTENU = ["Décision du comité", "Effet levier (1 à 4)", "Faisabilité (1 à 4)", "Intitulé amendé",
           "Commentaire du comité"]


def _note(value: object) -> int | None:
    """A score as landed: whole numbers only (anything else was refused by the suite)."""
    return int(value) if isinstance(value, str) and value.lstrip("-").isdigit() else None


def read_pistes(fichier: RecognisedFile) -> ReadResult:
    from openpyxl.utils import get_column_letter

    path = fichier.path
    wb = open_workbook(path)
    if FEUILLE not in wb.sheetnames:
        raise InvalidFile(path.name, [Issue(
            regle=f"feuille « {FEUILLE} » absente ou renommée (feuilles du classeur : {', '.join(wb.sheetnames)}) "
                  "— régénérez le classeur avec « bin/pacte template pistes »", feuille=FEUILLE)])
    check_sheet_extent(path, [FEUILLE])
    sheet = wb[FEUILLE]
    sheet.reset_dimensions()
    rows = list(sheet.iter_rows(values_only=True))
    wb.close()
    check_cell_lengths(path, FEUILLE, rows)
    entete = [str(c).strip() if c is not None else "" for c in (rows[0] if rows else [])]
    attendus = [h for h, _, _, _ in COLONNES]
    manquantes = [h for h in attendus if h not in entete]
    if manquantes:
        raise InvalidFile(path.name, [Issue(
            regle="colonne(s) du modèle absente(s) ou renommée(s) en ligne 1 (régénérez le classeur avec "
                  "« bin/pacte template pistes »)", colonne=", ".join(manquantes), feuille=FEUILLE)])
    pos = {h: entete.index(h) for h in attendus}
    records, index = [], []
    for n, row in enumerate(rows[1:], start=2):
        values = {h: cell_text(row[pos[h]]) if pos[h] < len(row) else None for h in attendus}
        if any(values[h] for h in CONTENU):
            records.append(values)
            index.append(n)
    if not records:
        raise InvalidFile(path.name, [Issue(
            regle="aucune décision du comité (colonnes « " + " », « ".join(SAISIES[:3]) + " » vides)",
            feuille=FEUILLE)])
    controle = pd.DataFrame(records, index=index, dtype=object)
    controle.index.name = "ligne"
    controle["Piste (identifiant) et axe"] = (controle["Piste (identifiant)"].fillna("") + " | "
                                             + controle["Axe du Pacte"].fillna(""))
    anomalies: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for n, rec in controle.iterrows():
        for h in LIBRE:
            for kind in donnees_personnelles(rec[h] if isinstance(rec[h], str) else ""):
                anomalies.setdefault((kind, h), []).append((int(n), f"{get_column_letter(pos[h] + 1)}{n}"))
    if anomalies:
        raise InvalidFile(path.name, [Issue(
            regle=(f"donnée personnelle interdite ({kind}) en cellule(s) {', '.join(c for _, c in cells)} : "
                   "indiquez une fonction ou une institution"),
            colonne=h, lignes=[n for n, _ in cells], feuille=FEUILLE) for (kind, h), cells in anomalies.items()])
    colonne_de = {h: col for h, col, _, _ in COLONNES if col}
    table = controle[list(colonne_de)].rename(columns=colonne_de)
    table = table.assign(axe=table["axe"].str[:1], levier=table["levier"].map(_note).astype("Int64"),
                         faisabilite=table["faisabilite"].map(_note).astype("Int64"),
                         ligne=controle.index.astype("int64"))
    return ReadResult(checks={"pistes": controle}, tables={"pistes_comite": table},
                      info={"feuille_de": {"pistes": FEUILLE}})
