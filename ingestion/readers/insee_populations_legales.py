"""INSEE populations légales, `ensemble.xlsx` layout: one sheet per level behind title rows.

Sheet `Communes`: `Code département`[:2] + 3-digit `Code commune` → INSEE code (2A + 004, 971 + 101 → 97101).
The RP reference year
(« Date de référence statistique : 1er janvier 2022 ») is the millésime; the geography year
(« limites territoriales en vigueur au 1er janvier 2024 ») is the geo_millesime.
"""

from __future__ import annotations

import re

import pandas as pd

from ingestion.errors import InvalidFile, Issue
from ingestion.readers.common import ReadResult
from ingestion.readers.long_format import melt_wide
from ingestion.readers.workbook import read_workbook, table_below_titles
from ingestion.registry import RecognisedFile

POPULATIONS = {"Population municipale": "PMUN", "Population comptée à part": "PCAP", "Population totale": "PTOT"}
FEUILLES = {
    "Communes": ("commune", ["Code département", "Code commune", "Nom de la commune", *POPULATIONS]),
    "Départements": ("departement", ["Code département", "Nom du département", "Population municipale",
                                     "Population totale"]),
    "Régions": ("region", ["Code région", "Nom de la région", "Population municipale", "Population totale"]),
}


def _annee(path, grid: pd.DataFrame, pattern: str, quoi: str) -> tuple[int, int]:
    """The year a title row states, and that row (Excel numbering)."""
    for row, cells in enumerate(grid.iloc[:12].fillna("").astype(str).to_numpy(), start=1):
        for cell in cells:
            m = re.search(pattern, cell, flags=re.IGNORECASE)
            if m:
                return int(m.group(1)), row
    raise InvalidFile(path.name, f"{quoi} introuvable dans les lignes de titre de la feuille « Communes »")


def read_populations_legales(fichier: RecognisedFile) -> ReadResult:
    path = fichier.path
    sheets = read_workbook(path, list(FEUILLES))
    communes_grid = sheets["Communes"]
    millesime, ligne_titre = _annee(path, communes_grid, r"date de r[ée]f[ée]rence statistique\s*:\s*1er janvier (\d{4})",
                       "date de référence statistique (millésime du recensement)")
    geo, _ = _annee(path, communes_grid, r"limites territoriales en vigueur au 1er janvier (\d{4})",
                 "année de la géographie (« limites territoriales en vigueur au … »)")
    if fichier.millesime and fichier.millesime != millesime:
        raise InvalidFile(path.name, [Issue(
            regle=(f"millésime incohérent : le nom du fichier indique {fichier.millesime}, la ligne de titre "
                   f"« date de référence statistique : 1er janvier {millesime} »"),
            feuille="Communes", lignes=[ligne_titre])])
    tables, controles = [], {}
    for feuille, (niveau, needed) in FEUILLES.items():
        body, _ = table_below_titles(path, sheets[feuille], feuille, needed)
        if niveau == "commune":
            # DOM: département 971 + commune 101 → 97101 (the 3rd digit of the département opens the commune code)
            dep = body["Code département"].fillna("")
            code = dep.str[:2] + body["Code commune"].fillna("").str.zfill(3)
            libelle = "Nom de la commune"
        elif niveau == "departement":
            code, libelle = body["Code département"], "Nom du département"
        else:
            code, libelle = body["Code région"], "Nom de la région"
        body = body.assign(code_geo=code)
        pops = [c for c in POPULATIONS if c in body.columns]
        frame, controle = melt_wide(body, niveau=niveau, code="code_geo", libelle=libelle,
                                                variables={c: POPULATIONS[c] for c in pops}, millesime=millesime,
                                                periode=str(millesime))
        tables.append(frame)
        controle.insert(0, "code_geo", body["code_geo"])
        for c in pops:
            controle[f"{c} (cellule)"] = body[c].fillna("")
        if len(pops) == 3:  # totale = municipale + comptée à part
            controle["Population totale − municipale − comptée à part"] = (
                controle["Population totale"] - controle["Population municipale"] - controle["Population comptée à part"])
        controles[niveau] = controle
    return ReadResult(checks=controles, tables={"insee_populations_legales_valeurs": pd.concat(tables)},
                   millesime=millesime, geo_millesime=geo,
                   info={"populations": POPULATIONS, "geo_millesime": geo,
                         "feuille_de": {niveau: feuille for feuille, (niveau, _) in FEUILLES.items()}})
