"""INSEE « Intercommunalité - Métropole » workbook."""

from __future__ import annotations

from typing import Any

from expectations.suites.common import CODE_COMMUNE, CODE_DEPARTEMENT, CODE_EPCI_OU_ZZ


def epci_xlsx(lecture: Any) -> dict[str, list[Any]]:
    import great_expectations.expectations as gxe

    return {
        "epci": [
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            gxe.ExpectColumnValuesToMatchRegex(column="code_epci", regex=CODE_EPCI_OU_ZZ),
            gxe.ExpectColumnValuesToBeUnique(column="code_epci"),
            gxe.ExpectColumnValuesToBeInSet(column="nature",
                                            value_set=["CC", "CA", "CU", "METRO", "ME", "MET69", "ZZ"]),
        ],
        "composition": [
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            gxe.ExpectColumnValuesToMatchRegex(column="code_commune", regex=CODE_COMMUNE),
            gxe.ExpectColumnValuesToBeUnique(column="code_commune"),
            gxe.ExpectColumnValuesToMatchRegex(column="code_epci", regex=CODE_EPCI_OU_ZZ),
            gxe.ExpectColumnValuesToMatchRegex(column="code_departement", regex=CODE_DEPARTEMENT),
        ],
    }


SUITES = {"cog_insee__epci_xlsx": epci_xlsx}
