"""INSEE « Intercommunalité - Métropole au 01-01-AAAA » workbook: sheets EPCI and Composition_communale.

The code header row comes after title rows (5 in 2024) and a row of French labels; we locate it by
content rather than by a fixed offset so that header drift between vintages is tolerated.
"""

from __future__ import annotations

import re

import pandas as pd

from ingestion.errors import InvalidFile, Issue
from ingestion.readers.common import ReadResult
from ingestion.readers.workbook import read_workbook
from ingestion.registry import RecognisedFile

NATURE_ALIASES = {"ME": "METRO"}  # métropoles were coded ME before 2022 and METRO since
DEP_DE_CODGEO = "CODGEO:DEP"  # control column: the département code must begin the commune code


def _sheet(path, sheets: dict[str, pd.DataFrame], name: str, first_col: str, needed: list[str]) -> pd.DataFrame:
    if name not in sheets:
        raise InvalidFile(path.name, [Issue(regle=f"feuille « {name} » absente du classeur")])
    grid = sheets[name]
    hits = grid.index[grid.iloc[:, 0].astype(str).str.strip() == first_col]
    if len(hits) == 0:
        raise InvalidFile(path.name, [Issue(
            regle=f"ligne d'en-tête introuvable dans la feuille « {name} » (colonne {first_col} attendue)")])
    top = hits[0]
    header = [str(c).strip() for c in grid.iloc[top]]
    missing = [c for c in needed if c not in header]
    if missing:
        raise InvalidFile(path.name, [Issue(regle=f"colonne(s) absente(s) de la feuille « {name} »",
                                                   colonne=", ".join(missing))])
    body = grid.iloc[top + 1:].copy()
    body.columns = header
    body = body[needed].dropna(how="all")
    body.index = body.index + 1  # Excel row number
    body.index.name = "ligne"
    return body.apply(lambda s: s.astype("string").str.strip())


def _vintage(path, sheets: dict[str, pd.DataFrame], from_name: int | None) -> int:
    """The geography year of the title rows (« Géographie au 01/01/AAAA »); every sheet must agree with the name."""
    found: list[tuple[str, int, int]] = []  # (sheet, Excel row, year)
    for name, grid in sheets.items():
        titres = grid.iloc[:5].fillna("").astype(str)
        for row, cells in enumerate(titres.to_numpy(), start=1):
            m = next((m for c in cells if (m := re.search(r"G[ée]ographie au 01/01/(\d{4})", c))), None)
            if m:
                found.append((name, row, int(m.group(1))))
                break
    reference = from_name or (found[0][2] if found else None)
    disagree = [(name, row, year) for name, row, year in found if year != reference]
    if disagree:
        source = f"le nom du fichier indique {from_name}" if from_name else (
            f"la feuille « {found[0][0]} » indique {reference}")
        raise InvalidFile(path.name, [Issue(
            regle=f"millésime incohérent : {source}, la ligne de titre « Géographie au 01/01/{year} »",
            feuille=name, lignes=[row]) for name, row, year in disagree])
    if reference:
        return reference
    raise InvalidFile(path.name, "millésime géographique introuvable (ni dans le nom ni dans les titres)")


def read_epci_xlsx(fichier: RecognisedFile) -> ReadResult:
    path = fichier.path
    sheets = read_workbook(path)
    geo = _vintage(path, sheets, fichier.geo_millesime)
    epci = _sheet(path, sheets, "EPCI", "EPCI", ["EPCI", "LIBEPCI", "NATURE_EPCI", "NB_COM"])
    compo = _sheet(path, sheets, "Composition_communale", "CODGEO", ["CODGEO", "LIBGEO", "EPCI", "LIBEPCI", "DEP", "REG"])
    epci_table = pd.DataFrame({
        "geo_millesime": geo, "code_epci": epci["EPCI"], "libelle": epci["LIBEPCI"],
        "nature": epci["NATURE_EPCI"].replace(NATURE_ALIASES),
        "nb_communes": pd.to_numeric(epci["NB_COM"], errors="coerce").astype("Int64"),
    })
    communes = pd.DataFrame({
        "geo_millesime": geo, "code_commune": compo["CODGEO"], "libelle": compo["LIBGEO"],
        "code_departement": compo["DEP"], "code_region": compo["REG"], "type_commune": "commune-actuelle",
        "population": pd.array([None] * len(compo), dtype="Int64"),
    })
    appartenance = pd.DataFrame({"geo_millesime": geo, "code_commune": compo["CODGEO"], "code_epci": compo["EPCI"]})
    both = compo["CODGEO"].notna() & compo["DEP"].notna()  # a missing code is reported by its own rule
    controle = compo.assign(**{DEP_DE_CODGEO: (compo["CODGEO"] + ":" + compo["DEP"]).where(both)})
    return ReadResult(checks={"epci": epci, "composition": controle},
                   tables={"geo_epci": epci_table, "geo_communes": communes, "geo_appartenance": appartenance},
                   geo_millesime=geo,
                   info={"feuille_de": {"epci": "EPCI", "composition": "Composition_communale"},
                         "epci": sorted(set(epci["EPCI"].dropna()))})
