"""Etalab découpage administratif JSON files."""

from __future__ import annotations

from typing import Any

from expectations.suites.common import CODE_COMMUNE, CODE_DEPARTEMENT, CODE_EPCI


def communes(lecture: Any) -> dict[str, list[Any]]:
    import great_expectations.expectations as gxe

    return {"communes": [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToMatchRegex(column="code_commune", regex=CODE_COMMUNE),
        gxe.ExpectColumnValuesToBeInSet(column="type", value_set=[
            "commune-actuelle", "commune-deleguee", "commune-associee", "arrondissement-municipal"]),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["code_commune", "type"]),
    ]}


def epci(lecture: Any) -> dict[str, list[Any]]:
    import great_expectations.expectations as gxe

    return {
        "epci": [gxe.ExpectColumnValuesToMatchRegex(column="code_epci", regex=CODE_EPCI),
                 gxe.ExpectColumnValuesToBeUnique(column="code_epci")],
        "appartenance": [gxe.ExpectColumnValuesToMatchRegex(column="code_commune", regex=CODE_COMMUNE),
                         gxe.ExpectColumnValuesToBeUnique(column="code_commune")],
    }


def departements(lecture: Any) -> dict[str, list[Any]]:
    import great_expectations.expectations as gxe

    return {"departements": [gxe.ExpectColumnValuesToMatchRegex(column="code_departement", regex=CODE_DEPARTEMENT),
                             gxe.ExpectColumnValuesToBeUnique(column="code_departement")]}


SUITES = {"decoupage__communes": communes, "decoupage__epci": epci, "decoupage__departements": departements}
