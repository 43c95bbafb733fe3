"""INSEE recensement, base-cc / dossier complet at commune level (csv `;` or xlsx).

Columns: `CODGEO` [+ `REG`, `DEP`, `LIBGEO`] then `Pyy_*` (exploitation principale) and `Cyy_*`
(complémentaire). Landed long: `P21_POP1564` → variable `P_POP1564`, millésime 2021. The dossier complet
mixes vintages (P21_, P15_, …): each column carries its own millésime. The xlsx base-cc has title rows,
a row of French labels, then the code header row (`CODGEO`…) on sheets `COM` (and `ARM`).
"""

from __future__ import annotations

import re

import pandas as pd

from ingestion.errors import InvalidFile, Issue
from ingestion.readers.common import ReadResult, read_delimited
from ingestion.readers.long_format import melt_wide
from ingestion.readers.workbook import read_workbook, table_below_titles
from ingestion.registry import RecognisedFile

VARIABLE_RP = re.compile(r"^([PC])(\d{2})_(\w+)$")
IDENTIFIANTS = ("CODGEO", "REG", "DEP", "LIBGEO")
# (part, total) pairs without the vintage: P_POP1564 ≤ P_POP, etc.
EMBOITEMENTS = [("P_POP1564", "P_POP"), ("P_POP2064", "P_POP"), ("P_POP75P", "P_POP"), ("P_POP80P", "P_POP75P"),
                ("P_CHOM1564", "P_ACT1564"), ("P_ACT1564", "P_POP1564"), ("C_FAMMONO", "C_FAM"),
                ("P_NSCOL15P_DIPLMIN", "P_NSCOL15P"), ("P_RP_LOCHLMV", "P_RP_LOC"), ("P_RP_LOC", "P_RP"),
                ("P_RP_PROP", "P_RP"), ("P_RP_VOIT1P", "P_RP"), ("C_RP_HSTU1P_SUROCC", "C_RP_HSTU1P"),
                ("P_POP80P_PSEUL", "P_POP80P")]


def _table(fichier: RecognisedFile) -> pd.DataFrame:
    path = fichier.path
    if path.suffix.lower() == ".xlsx":
        sheets = read_workbook(path)
        parts = []
        for name in ("COM", "ARM"):
            if name in sheets:
                body, _ = table_below_titles(path, sheets[name], name, ["CODGEO"])
                parts.append(body)
        if not parts:
            raise InvalidFile(path.name, [Issue(regle="feuille « COM » absente du classeur")])
        return pd.concat(parts)
    return read_delimited(path)


def read_recensement(fichier: RecognisedFile) -> ReadResult:
    path = fichier.path
    raw = _table(fichier)
    if "CODGEO" not in raw.columns:
        raise InvalidFile(path.name, [Issue(regle="colonne d'identifiant absente ou renommée (attendue : CODGEO)",
                                                   colonne="CODGEO", lignes=[1])])
    variables = {c: VARIABLE_RP.match(c) for c in raw.columns if c not in IDENTIFIANTS}
    bad = [c for c, m in variables.items() if m is None]
    if bad:
        raise InvalidFile(path.name, [Issue(
            regle="nom de colonne non conforme au recensement (attendu Pyy_… ou Cyy_…)", colonne=", ".join(bad[:5]),
            lignes=[1])])
    if not variables:
        raise InvalidFile(path.name, "aucune variable Pyy_… ou Cyy_… dans le fichier")
    years = {c: 2000 + int(m.group(2)) for c, m in variables.items()}
    renamed = {c: f"{m.group(1)}_{m.group(3)}" for c, m in variables.items()}
    millesime = fichier.millesime or max(years.values())
    if fichier.millesime and fichier.millesime not in set(years.values()):
        found = ", ".join(sorted({str(y) for y in years.values()}))
        raise InvalidFile(path.name, [Issue(
            regle=f"millésime incohérent : le nom du fichier indique {fichier.millesime}, les colonnes portent {found}",
            lignes=[1])])
    libelle = "LIBGEO" if "LIBGEO" in raw.columns else None
    landing, numbers = melt_wide(raw, niveau="commune", code="CODGEO", libelle=libelle,
                                             variables=renamed, millesime=years,
                                             periode={c: str(y) for c, y in years.items()})
    cells = raw[["CODGEO", *variables]].fillna("")
    numbers.insert(0, "CODGEO", raw["CODGEO"])
    # A sub-population never exceeds its total (RP estimates are weighted: tolerance 0.5).
    emboitees = []
    for col, m in variables.items():
        partie = f"{m.group(1)}_{m.group(3)}"
        for part, total in EMBOITEMENTS:
            if partie == part:
                total_col = f"{total[0]}{m.group(2)}{total[1:]}"
                if total_col in numbers.columns:
                    name = f"{total_col} − {col}"
                    numbers[name] = numbers[total_col] - numbers[col]
                    emboitees.append(name)
    return ReadResult(checks={"cellules": cells, "valeurs": numbers},
                   tables={"insee_recensement_valeurs": landing}, millesime=millesime,
                   info={"variables": list(variables), "colonnes_landees": renamed, "emboitees": emboitees})
