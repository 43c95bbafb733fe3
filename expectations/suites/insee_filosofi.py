"""INSEE Filosofi wide files: two control frames, raw cells (`cellules`) and parsed numbers (`valeurs`)."""

from __future__ import annotations

from typing import Any

from expectations.suites.common import CODE_PAR_NIVEAU

CELLULE_FILOSOFI = r"^(?:-?\d+(?:[.,]\d+)?|s|ns|nd|so|)$"
# The bounds of each unit of the variable dictionaries (ingestion/dictionaries): the unit of a variable comes
# from INSEE's dictionary of its vintage, never from a prefix of its name (`TP60Q2` is a median in euros,
# `TP60IP` a ratio). Income-structure shares are shares of *disposable* income: taxes count negatively
# (PIMPOT < 0), so activity income can exceed 100 % (seen in the real 2021 file: PACT = 107.1).
BORNES_PAR_UNITE: dict[str, tuple[float, float | None]] = {
    "pourcentage": (0, 100), "part_revenu": (-100, 200), "nombre": (0, None), "euros": (0, None),
    "ratio": (0, None)}


def bornes(variable: str, unite: str) -> Any:
    import great_expectations.expectations as gxe

    low, high = BORNES_PAR_UNITE[unite]
    return gxe.ExpectColumnValuesToBeBetween(column=variable, min_value=low, max_value=high)


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
    unites = lecture.info["unites"]
    valeurs = [bornes(v, unites[v]) for v in variables if unites.get(v) in BORNES_PAR_UNITE]
    return {"cellules": cellules, "valeurs": valeurs}


SUITES = {"insee_filosofi__large": large}


# Published Filosofi vintages: 2012-2021, no 2022 (taxe d'habitation), then Filosofi 2 from 2023.
MILLESIMES_FILOSOFI = [*range(2012, 2022), *range(2023, 2031)]

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
        # Millésime: the file name's year when it has one, else any published Filosofi vintage (no 2022).
        gxe.ExpectColumnValuesToBeInSet(column="TIME_PERIOD", value_set=(
            [str(lecture.info["millesime_nom"])] if lecture.info.get("millesime_nom")
            else [str(y) for y in MILLESIMES_FILOSOFI])),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["GEO_OBJECT", "GEO", "FILOSOFI_MEASURE", "TIME_PERIOD"]),
    ]
    return {"lignes": lignes,
            "taux": [gxe.ExpectColumnValuesToBeBetween(column="OBS_VALUE", min_value=0, max_value=100)],
            "montants": [gxe.ExpectColumnValuesToBeBetween(column="OBS_VALUE", min_value=0)]}


SUITES["insee_filosofi__long"] = long
