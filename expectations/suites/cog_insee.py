"""INSEE « Intercommunalité - Métropole » workbook. Control columns keep the published names (CODGEO, EPCI,
DEP) so that a refusal names the column the user sees. Every code the warehouse joins on must be present:
an empty cell would only fail later, in the dbt build (not_null / unique tests of the geo models)."""

from __future__ import annotations

from typing import Any

from expectations.suites.common import CODE_COMMUNE, CODE_DEPARTEMENT, CODE_EPCI_OU_ZZ
from ingestion.readers.cog_insee import DEP_DE_CODGEO

# CODGEO:DEP — the département is the first two characters of the commune code, three overseas (97x, 98x).
DEP_COHERENT = r"^(?:(?P<d>0[1-9]|[1-8]\d|9[0-5]|2[AB])\d{3}:(?P=d)|(?P<o>9[78]\d)\d{2}:(?P=o))$"


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
            # Coherence inside the workbook: every EPCI of a commune is listed in the EPCI sheet, and the DEP
            # column agrees with the commune code (16015 → 16, 2A004 → 2A, 97411 → 974).
            gxe.ExpectColumnValuesToBeInSet(
                column="EPCI", value_set=lecture.info["epci"],
                description="EPCI absent de la feuille « EPCI » (commune rattachée à un EPCI inconnu du classeur)"),
            gxe.ExpectColumnValuesToMatchRegex(
                column=DEP_DE_CODGEO, regex=DEP_COHERENT,
                description="code département (DEP) différent de celui du code commune (CODGEO)"),
        ],
    }


SUITES = {"cog_insee__epci_xlsx": epci_xlsx}
