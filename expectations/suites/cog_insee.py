"""INSEE « Intercommunalité - Métropole » workbook. Control columns keep the published names (CODGEO, EPCI,
DEP) so that a refusal names the column the user sees. Every code the warehouse joins on must be present:
an empty cell would only fail later, in the dbt build (not_null / unique tests of the geo models)."""

from __future__ import annotations

from typing import Any

from expectations.suites.common import CODE_COMMUNE, CODE_DEPARTEMENT, CODE_EPCI_OU_ZZ


def epci_xlsx(lecture: Any) -> dict[str, list[Any]]:
    import great_expectations.expectations as gxe

    return {
        "epci": [
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            gxe.ExpectColumnValuesToNotBeNull(column="EPCI"),
            gxe.ExpectColumnValuesToMatchRegex(column="EPCI", regex=CODE_EPCI_OU_ZZ),
            gxe.ExpectColumnValuesToBeUnique(column="EPCI"),
            gxe.ExpectColumnValuesToBeInSet(column="NATURE_EPCI",
                                            value_set=["CC", "CA", "CU", "METRO", "ME", "MET69", "ZZ"]),
        ],
        "composition": [
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            *[gxe.ExpectColumnValuesToNotBeNull(column=c) for c in ("CODGEO", "EPCI", "DEP")],
            gxe.ExpectColumnValuesToMatchRegex(column="CODGEO", regex=CODE_COMMUNE),
            gxe.ExpectColumnValuesToBeUnique(column="CODGEO"),
            gxe.ExpectColumnValuesToMatchRegex(column="EPCI", regex=CODE_EPCI_OU_ZZ),
            gxe.ExpectColumnValuesToMatchRegex(column="DEP", regex=CODE_DEPARTEMENT),
        ],
    }


SUITES = {"cog_insee__epci_xlsx": epci_xlsx}
