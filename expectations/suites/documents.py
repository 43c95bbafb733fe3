"""Documents (schémas): a title, a plausible period, at least one page of text."""

from __future__ import annotations

from typing import Any


def document(lecture: Any) -> dict[str, list[Any]]:
    import great_expectations.expectations as gxe

    return {
        "registre": [
            gxe.ExpectColumnValuesToNotBeNull(column="titre"),
            gxe.ExpectColumnValueLengthsToBeBetween(column="titre", min_value=3, max_value=300),
            # Old schémas (a period before 2000) are accepted and flagged (ingestion.readers.documents).
            gxe.ExpectColumnValuesToBeBetween(column="periode_debut", min_value=1950, max_value=2040),
            gxe.ExpectColumnValuesToBeBetween(column="periode_fin", min_value=1950, max_value=2045),
            gxe.ExpectColumnValuesToBeBetween(column="nb_pages", min_value=1, max_value=2000),
        ],
        "pages": [gxe.ExpectTableRowCountToBeBetween(min_value=1, max_value=2000),
                  gxe.ExpectColumnValuesToBeUnique(column="page")],
    }


SUITES = {"documents__document": document}
