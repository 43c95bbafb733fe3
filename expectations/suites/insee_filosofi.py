"""INSEE Filosofi wide files: two control frames, raw cells (`cellules`) and parsed numbers (`valeurs`)."""

from __future__ import annotations

from typing import Any

from expectations.suites.common import CODE_PAR_NIVEAU

CELLULE_FILOSOFI = r"^(?:-?\d+(?:[.,]\d+)?|s|ns|nd|so|)$"
# Poverty rates and the share of taxed households are true percentages. Income-structure shares are
# shares of *disposable* income: taxes count negatively (PIMPOT < 0), so activity income can exceed
# 100 % (seen in the real 2021 file: PACT = 107.1).
TAUX_FILOSOFI = ("TP60", "TP50", "TP40", "PIMP")
PARTS_REVENU = ("PACT", "PTSA", "PCHO", "PBEN", "PPEN", "PPAT", "PPSOC", "PPFAM", "PPMINI", "PPLOGT", "PIMPOT")
COMPTES_FILOSOFI = ("NBMENFISC", "NBPERSMENFISC", "NBMEN", "NBPERS", "NBUC", "MED", "Q1", "Q2", "Q3", "D1",
                    "D2", "D3", "D4", "D6", "D7", "D8", "D9")


def large(lecture: Any) -> dict[str, list[Any]]:
    import great_expectations.expectations as gxe

    niveau = lecture.info["niveau"]
    variables = lecture.info["variables"]
    cellules = [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        # Required variables come from the registry format, not from what the file happens to contain.
        gxe.ExpectTableColumnsToMatchSet(column_set=["CODGEO", *lecture.info["obligatoires"]], exact_match=False),
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


SUITES = {"insee_filosofi__large": large}


# GEO_OBJECT:GEO pairs whose code format matches the level (Filosofi 2023 long layout).
COLONNES_LONGUES_ATTENDUES = ["FILOSOFI_MEASURE", "GEO", "GEO_OBJECT", "CONF_STATUS", "OBS_STATUS", "TIME_PERIOD",
                              "OBS_VALUE"]
GEO_LONG = (r"^(?:(?:COM|ARM):(?:\d{5}|2[AB]\d{3})|EPCI:\d{9}|DEP:(?:\d{2}|2[AB]|97\d)|REG:\d{2}"
            r"|(?:FRANCE|FRMETRO|FRANCE_METRO|FM|FE|METRO):.+)$")


def long(lecture: Any) -> dict[str, list[Any]]:
    import great_expectations.expectations as gxe

    lignes = [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectTableColumnsToMatchSet(column_set=COLONNES_LONGUES_ATTENDUES, exact_match=False),
        gxe.ExpectColumnValuesToNotBeNull(column="GEO"),
        gxe.ExpectColumnValuesToMatchRegex(column="GEO_OBJECT:GEO", regex=GEO_LONG),
        gxe.ExpectColumnValuesToMatchRegex(column="OBS_VALUE", regex=r"^(?:-?\d+(?:[.,]\d+)?|)$"),
        gxe.ExpectColumnValuesToBeInSet(column="CONF_STATUS", value_set=["F", "C", ""]),
        gxe.ExpectColumnValuesToBeInSet(column="OBS_STATUS", value_set=["A", "O", "P", "E", ""]),
        # Millésime consistent with the file name.
        gxe.ExpectColumnValuesToBeInSet(column="TIME_PERIOD", value_set=[str(lecture.info["millesime"])]),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["GEO_OBJECT", "GEO", "FILOSOFI_MEASURE", "TIME_PERIOD"]),
    ]
    return {"lignes": lignes,
            "taux": [gxe.ExpectColumnValuesToBeBetween(column="OBS_VALUE", min_value=0, max_value=100)],
            "montants": [gxe.ExpectColumnValuesToBeBetween(column="OBS_VALUE", min_value=0)]}


SUITES["insee_filosofi__long"] = long
