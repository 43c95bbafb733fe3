"""The comparison workbook for the comité (`bin/pacte compare … --excel FICHIER`): one sheet per axe of the
Pacte, the comparability status explained, conditional formatting on the direction, frozen headers, filters.
Read from the served file (read-only: readers are never blocked); written by rename (never half a file)."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Any

import duckdb
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

# (column of marts.comparaison_t0, header, width)
COLUMNS: list[tuple[str, str, int]] = [
    ("libelle", "Territoire", 34), ("niveau", "Niveau", 11), ("libelle_indicateur", "Indicateur", 40),
    ("unite", "Unité", 11), ("valeur_t0", "Valeur T0", 12), ("millesime_periode_t0", "Millésime T0", 12),
    ("valeur_t3", "Valeur T+3", 12), ("millesime_periode_t3", "Millésime T+3", 12),
    ("evolution_absolue", "Évolution", 12), ("evolution_relative", "Évolution (%)", 12),
    ("direction_libelle", "Direction", 14), ("statut_comparabilite_libelle", "Comparabilité", 30),
    ("regle_explication", "Pourquoi", 70), ("geographie", "Géographie utilisée", 60),
]
FILLS = {"amélioration": "C6EFCE", "dégradation": "FFC7CE", "stable": "EDEDED"}
STATUTS = [
    ("comparable", "Même source, même méthode, même périmètre : l'évolution se lit."),
    ("rebase", "Le T0 a été recalculé (périmètre changé : depuis les communes ; nouvelle taxonomie) : "
               "l'évolution se lit avec la part de population ré-exprimée (colonne Géographie)."),
    ("niveau_seul", "Les deux niveaux sont montrés, sans évolution (évolution non significative ou non "
                    "calculable, ou valeur absente à une date)."),
    ("rupture", "Série rompue entre les deux dates : les niveaux ne se comparent pas."),
]
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")


def _sheet_name(text: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", "-", text)[:31].strip() or "Axe"
    base, n = name, 2
    while name in used:
        name = f"{base[:28]} {n}"
        n += 1
    used.add(name)
    return name


def rows_of(served_db: Path, label: str, departement: str, comparee_a: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(served_db), read_only=True) as con:
        cur = con.execute("SELECT * FROM marts.comparaison_t0 WHERE label_t0 = ? AND code_departement = ? "
                          "AND comparee_a = ? ORDER BY axe, libelle_indicateur, niveau DESC, libelle",
                          [label, departement, comparee_a])
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def write(rows: list[dict[str, Any]], target: Path, titre: str) -> dict[str, int]:
    """One sheet « Lisez-moi » then one per axe; returns the number of rows written per sheet."""
    wb = Workbook()
    readme = wb.active
    readme.title = "Lisez-moi"
    readme["A1"] = titre
    readme["A1"].font = Font(bold=True, size=13)
    readme["A3"] = "Statut de comparabilité"
    readme["B3"] = "Ce qu'il veut dire"
    for cell in (readme["A3"], readme["B3"]):
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
    for i, (statut, sens) in enumerate(STATUTS, start=4):
        readme.cell(i, 1, statut)
        readme.cell(i, 2, sens).alignment = Alignment(wrap_text=True)
    readme.cell(9, 1, "Direction : lecture de l'évolution selon le sens de l'indicateur (catalogue) ; vert = "
                      "amélioration, rouge = dégradation, gris = stable. Jamais d'évolution quand le statut est "
                      "niveau_seul ou rupture.")
    for i, (axe, libelle) in enumerate(sorted({(str(r.get("axe")), r.get("libelle_axe")) for r in rows}), start=11):
        readme.cell(i, 1, f"Axe {axe}" if axe.isdigit() else axe.capitalize())
        readme.cell(i, 2, libelle)
    readme.column_dimensions["A"].width = 22
    readme.column_dimensions["B"].width = 100
    axes: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        axe = str(r.get("axe") or "")
        axes.setdefault(f"Axe {axe}" if axe.isdigit() else (axe.capitalize() or "Sans axe"), []).append(r)
    counts: dict[str, int] = {}
    used = {"Lisez-moi"}
    direction_col = get_column_letter([c[0] for c in COLUMNS].index("direction_libelle") + 1)
    for axe in sorted(axes, key=lambda a: (not a.startswith("Axe"), a)):
        ws = wb.create_sheet(_sheet_name(axe, used))
        for j, (_, header, width) in enumerate(COLUMNS, start=1):
            cell = ws.cell(1, j, header)
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            ws.column_dimensions[get_column_letter(j)].width = width
            if header == "Comparabilité":
                cell.comment = Comment("\n".join(f"{s} : {t}" for s, t in STATUTS), "pacte")
        for i, r in enumerate(axes[axe], start=2):
            for j, (col, _, _) in enumerate(COLUMNS, start=1):
                ws.cell(i, j, r.get(col))
        last = len(axes[axe]) + 1
        ws.freeze_panes = "B2"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{last}"
        cells = f"{direction_col}2:{direction_col}{last}"
        for text, color in FILLS.items():
            ws.conditional_formatting.add(cells, FormulaRule(formula=[f'${direction_col}2="{text}"'],
                                                             fill=PatternFill("solid", bgColor=color)))
        counts[ws.title] = len(axes[axe])
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        wb.save(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return counts
