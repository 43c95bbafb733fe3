"""DREES indicateurs sociaux départementaux (xlsx): one indicator per sheet, title rows, then a header row
`Code | Département | 2019 | 2020 | …` (one column per year), one row per département (+ France rows).

The sheet name is the variable code (e.g. `BENEF_RSA`), the first title line its label. Rows coded
FM (France métropolitaine) or FE (France entière) land at niveau 'france'.
"""

from __future__ import annotations

import re

import pandas as pd

from ingestion.errors import InvalidFile, Issue
from ingestion.readers.common import ReadResult
from ingestion.readers.long_format import melt_wide
from ingestion.readers.workbook import read_workbook, table_below_titles
from ingestion.registry import RecognisedFile

OBLIGATOIRES = ["Code", "Département"]
FRANCE = {"FM": "FM", "FE": "FE", "F": "FE", "FR": "FE", "FRANCE": "FE"}


def _variable(sheet: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", sheet.upper()).strip("_")


def _borne(titre: str) -> float | None:
    t = titre.lower()
    if "pour 1 000" in t or "pour 1000" in t or "‰" in t:
        return 1000.0
    if "pour 100 " in t or "%" in t or t.startswith(("taux", "part ")):
        return 100.0
    return None


def read_drees_isd(fichier: RecognisedFile) -> ReadResult:
    path = fichier.path
    sheets = read_workbook(path)
    tables, controles, infos = [], {}, {}
    for sheet, grid in sheets.items():
        if sheet.lower().startswith(("sommaire", "notes", "documentation", "lisez")):
            continue
        titre = next((str(v).strip() for v in grid.iloc[:5].to_numpy().ravel() if isinstance(v, str) and v.strip()),
                     sheet)
        body, header = table_below_titles(path, grid, sheet, OBLIGATOIRES)
        years = [c for c in header if re.fullmatch(r"(?:19|20)\d{2}", c)]
        if not years:
            raise InvalidFile(path.name, [Issue(
                regle=f"aucune colonne d'année (AAAA) dans l'en-tête de la feuille « {sheet} »", colonne="AAAA")])
        code = body["Code"].fillna("").str.upper()
        france = code.isin(FRANCE)
        body = body.assign(code_geo=code.where(~france, code.map(FRANCE)),
                           niveau=pd.Series("departement", index=body.index).where(~france, "france"))
        variable = _variable(sheet)
        frame, nums = melt_wide(body, niveau=body["niveau"], code="code_geo", libelle="Département",
                                            variables={y: variable for y in years},
                                            millesime={y: int(y) for y in years}, periode={y: y for y in years})
        frame["libelle_variable"] = titre
        tables.append(frame)
        cells = body[["code_geo", *years]].fillna("")
        cells["niveau:code"] = body["niveau"] + ":" + body["code_geo"]
        controles[f"{sheet} (cellules)"] = cells
        controles[f"{sheet} (valeurs)"] = nums
        infos[sheet] = {"annees": years, "borne": _borne(titre), "variable": variable, "titre": titre}
    if not tables:
        raise InvalidFile(path.name, "aucune feuille d'indicateur dans le classeur")
    landing = pd.concat(tables, ignore_index=True)
    millesime = int(landing["millesime"].max())
    if fichier.millesime and fichier.millesime != millesime:
        raise InvalidFile(path.name, [Issue(
            regle=f"millésime incohérent : le nom indique {fichier.millesime}, la dernière année publiée est {millesime}")])
    return ReadResult(checks=controles, tables={"drees_valeurs": landing}, millesime=millesime,
                   info={"feuilles": infos})
