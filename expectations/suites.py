"""One suite per format, built from the columns actually present (variables are millésime-suffixed).

Each suite maps a control frame name of the reader's `Lecture` to the expectations run on it.
GX is imported lazily by callers: `import great_expectations` costs ~7 s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

CODE_COMMUNE = r"^(?:\d{5}|2[AB]\d{3})$"
CODE_EPCI = r"^\d{9}$"
CODE_DEPARTEMENT = r"^(?:\d{2}|2[AB]|97\d|98\d)$"  # 98x: collectivités d'outre-mer
CELLULE_FILOSOFI = r"^(?:-?\d+(?:[.,]\d+)?|s|ns|nd|so|)$"
CODE_PAR_NIVEAU = {"commune": CODE_COMMUNE, "epci": CODE_EPCI, "departement": CODE_DEPARTEMENT,
                   "region": r"^\d{2}$", "france": r".+"}
# Poverty rates and the share of taxed households are true percentages. Income-structure shares are
# shares of *disposable* income: taxes count negatively (PIMPOT < 0), so activity income can exceed
# 100 % (seen in the real 2021 file: PACT = 107.1).
TAUX_FILOSOFI = ("TP60", "TP50", "TP40", "PIMP")
PARTS_REVENU = ("PACT", "PTSA", "PCHO", "PBEN", "PPEN", "PPAT", "PPSOC", "PPFAM", "PPMINI", "PPLOGT", "PIMPOT")
COMPTES_FILOSOFI = ("NBMENFISC", "NBPERSMENFISC", "NBMEN", "NBPERS", "NBUC", "MED", "Q1", "Q2", "Q3", "D1",
                    "D2", "D3", "D4", "D6", "D7", "D8", "D9")

Suite = dict[str, list[Any]]


def _filosofi_large(lecture: Any) -> Suite:
    import great_expectations.expectations as gxe

    niveau = lecture.infos["niveau"]
    variables = lecture.infos["variables"]
    cellules = [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        # Required variables come from the registry format, not from what the file happens to contain.
        gxe.ExpectTableColumnsToMatchSet(column_set=["CODGEO", *lecture.infos["obligatoires"]], exact_match=False),
        gxe.ExpectColumnValuesToNotBeNull(column="CODGEO"),
        gxe.ExpectColumnValuesToMatchRegex(column="CODGEO", regex=CODE_PAR_NIVEAU[niveau]),
        gxe.ExpectColumnValuesToBeUnique(column="CODGEO"),
    ]
    cellules += [gxe.ExpectColumnValuesToMatchRegex(column=v, regex=CELLULE_FILOSOFI) for v in variables]
    valeurs = []
    for v in variables:
        if v in PARTS_REVENU:
            valeurs.append(gxe.ExpectColumnValuesToBeBetween(column=v, min_value=-100, max_value=200))
        elif v.startswith(TAUX_FILOSOFI):
            valeurs.append(gxe.ExpectColumnValuesToBeBetween(column=v, min_value=0, max_value=100))
        elif v in COMPTES_FILOSOFI:
            valeurs.append(gxe.ExpectColumnValuesToBeBetween(column=v, min_value=0))
    return {"cellules": cellules, "valeurs": valeurs}


def _cog_insee_epci(lecture: Any) -> Suite:
    import great_expectations.expectations as gxe

    return {
        "epci": [
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            gxe.ExpectColumnValuesToMatchRegex(column="code_epci", regex=r"^(?:\d{9}|ZZZZZZZZZ)$"),
            gxe.ExpectColumnValuesToBeUnique(column="code_epci"),
            gxe.ExpectColumnValuesToBeInSet(column="nature", value_set=["CC", "CA", "CU", "METRO", "ME", "MET69", "ZZ"]),
        ],
        "composition": [
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            gxe.ExpectColumnValuesToMatchRegex(column="code_commune", regex=CODE_COMMUNE),
            gxe.ExpectColumnValuesToBeUnique(column="code_commune"),
            gxe.ExpectColumnValuesToMatchRegex(column="code_epci", regex=r"^(?:\d{9}|ZZZZZZZZZ)$"),
            gxe.ExpectColumnValuesToMatchRegex(column="code_departement", regex=CODE_DEPARTEMENT),
        ],
    }


def _decoupage_communes(lecture: Any) -> Suite:
    import great_expectations.expectations as gxe

    return {"communes": [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToMatchRegex(column="code_commune", regex=CODE_COMMUNE),
        gxe.ExpectColumnValuesToBeInSet(column="type", value_set=[
            "commune-actuelle", "commune-deleguee", "commune-associee", "arrondissement-municipal"]),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["code_commune", "type"]),
    ]}


def _decoupage_epci(lecture: Any) -> Suite:
    import great_expectations.expectations as gxe

    return {
        "epci": [gxe.ExpectColumnValuesToMatchRegex(column="code_epci", regex=CODE_EPCI),
                 gxe.ExpectColumnValuesToBeUnique(column="code_epci")],
        "appartenance": [gxe.ExpectColumnValuesToMatchRegex(column="code_commune", regex=CODE_COMMUNE),
                         gxe.ExpectColumnValuesToBeUnique(column="code_commune")],
    }


def _decoupage_departements(lecture: Any) -> Suite:
    import great_expectations.expectations as gxe

    return {"departements": [gxe.ExpectColumnValuesToMatchRegex(column="code_departement", regex=CODE_DEPARTEMENT),
                             gxe.ExpectColumnValuesToBeUnique(column="code_departement")]}


SUITES: dict[str, Callable[[Any], Suite]] = {
    "insee_filosofi__large": _filosofi_large,
    "cog_insee__epci_xlsx": _cog_insee_epci,
    "decoupage__communes": _decoupage_communes,
    "decoupage__epci": _decoupage_epci,
    "decoupage__departements": _decoupage_departements,
}


def build_suite(name: str, lecture: Any) -> Suite:
    return SUITES[name](lecture)


def frames_for(lecture: Any) -> dict[str, pd.DataFrame]:
    return lecture.controles
