"""Etalab découpage administratif JSON files. Every code the warehouse joins on must be present (a missing key
would only fail later, in the dbt build)."""

from __future__ import annotations

from typing import Any

from expectations.suites.cog_insee import DEP_COHERENT
from expectations.suites.common import CODE_COMMUNE, CODE_DEPARTEMENT, CODE_EPCI


def communes(lecture: Any) -> dict[str, list[Any]]:
    import great_expectations.expectations as gxe

    return {"communes": [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        *[gxe.ExpectColumnValuesToNotBeNull(column=c) for c in ("code_commune", "type", "departement")],
        gxe.ExpectColumnValuesToMatchRegex(column="code_commune", regex=CODE_COMMUNE),
        gxe.ExpectColumnValuesToMatchRegex(column="departement", regex=CODE_DEPARTEMENT),
        gxe.ExpectColumnValuesToBeInSet(column="type", value_set=[
            "commune-actuelle", "commune-deleguee", "commune-associee", "arrondissement-municipal"]),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["code_commune", "type"]),
        gxe.ExpectColumnValuesToMatchRegex(
            column="code_commune:departement", regex=DEP_COHERENT,
            description="code département (departement) différent de celui du code commune (code)"),
    ]}


def epci(lecture: Any) -> dict[str, list[Any]]:
    import great_expectations.expectations as gxe

    return {
        "epci": [gxe.ExpectColumnValuesToNotBeNull(column="code_epci"),
                 gxe.ExpectColumnValuesToMatchRegex(column="code_epci", regex=CODE_EPCI),
                 gxe.ExpectColumnValuesToBeUnique(column="code_epci")],
        "appartenance": [gxe.ExpectColumnValuesToNotBeNull(column="code_commune"),
                         gxe.ExpectColumnValuesToMatchRegex(column="code_commune", regex=CODE_COMMUNE),
                         gxe.ExpectColumnValuesToBeUnique(column="code_commune")],
    }


def departements(lecture: Any) -> dict[str, list[Any]]:
    import great_expectations.expectations as gxe

    return {"departements": [gxe.ExpectColumnValuesToNotBeNull(column="code_departement"),
                             gxe.ExpectColumnValuesToMatchRegex(column="code_departement", regex=CODE_DEPARTEMENT),
                             gxe.ExpectColumnValuesToBeUnique(column="code_departement")]}


SUITES = {"decoupage__communes": communes, "decoupage__epci": epci, "decoupage__departements": departements}
