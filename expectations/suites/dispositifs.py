"""Tableau synthétique des dispositifs: required cells, drop-down values, territory codes, no duplicate row."""

from __future__ import annotations

from typing import Any

from expectations.suites.common import CODE_COMMUNE, CODE_EPCI


def tableau(lecture: Any) -> dict[str, list[Any]]:
    import great_expectations.expectations as gxe

    from ingestion.dispositifs_template import COUVERTURES, FINANCEMENTS, PORTEURS, thematiques

    return {
        "dispositifs": [
            gxe.ExpectColumnValuesToNotBeNull(column="intitule"),
            gxe.ExpectColumnValuesToNotBeNull(column="porteur"),
            gxe.ExpectColumnValuesToNotBeNull(column="axe"),
            gxe.ExpectColumnValuesToBeInSet(column="axe", value_set=lecture.info["axes"]),
            gxe.ExpectColumnValuesToBeInSet(column="porteur", value_set=PORTEURS),
            gxe.ExpectColumnValuesToBeInSet(column="mode_financement", value_set=FINANCEMENTS),
            gxe.ExpectColumnValuesToBeInSet(column="couverture", value_set=COUVERTURES),
            gxe.ExpectColumnValuesToBeInSet(column="thematique", value_set=thematiques()),
            gxe.ExpectColumnValuesToMatchRegex(column="epci", regex=r"^\d{9}\b"),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["intitule", "porteur"]),
        ],
        "codes": [gxe.ExpectColumnValuesToMatchRegex(column="code", regex=f"(?:{CODE_COMMUNE})|(?:{CODE_EPCI})")],
    }


SUITES = {"dispositifs__tableau": tableau}
