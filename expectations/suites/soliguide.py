"""Soliguide places: identifiers, postal codes, coordinates in France, plausible points (ingestion.positions: not
swapped, in the département declared, present), categories of Soliguide's enum."""

from __future__ import annotations

from typing import Any

from expectations.suites.common import POSITION, POSITION_FR
from expectations.suites.data_inclusion import LATITUDE, LONGITUDE
from ingestion.positions import CONFORME, SANS_POSITION

# Soliguide `Categories.enum.ts` values, those mapped to data·inclusion in map_soliguide__thematiques_v1.csv
# plus the ones with no data·inclusion equivalent (kept, counted without a thématique).
SANS_EQUIVALENT = {"shower", "laundry", "toilets", "face_masks", "electrical_outlets_available", "fountain",
                   "luggage_storage", "animal_assitance", "vet_care", "hairdresser"}


def categories() -> set[str]:
    import csv
    from pathlib import Path

    seed = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "map_soliguide__thematiques_v1.csv"
    with seed.open(encoding="utf-8") as fh:
        return {row["categorie_soliguide"] for row in csv.DictReader(fh)} | SANS_EQUIVALENT


def lieux(lecture: Any) -> dict[str, list[Any]]:
    import great_expectations.expectations as gxe

    return {
        "lieux": [
            gxe.ExpectTableRowCountToBeBetween(min_value=1, max_value=200_000),
            gxe.ExpectColumnValuesToNotBeNull(column="lieu_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="nom"),
            gxe.ExpectColumnValuesToBeUnique(column="lieu_id"),
            gxe.ExpectColumnValuesToMatchRegex(column="code_postal", regex=r"^\d{5}$"),
            gxe.ExpectColumnValuesToBeBetween(column="latitude", min_value=LATITUDE[0], max_value=LATITUDE[1]),
            gxe.ExpectColumnValuesToBeBetween(column="longitude", min_value=LONGITUDE[0], max_value=LONGITUDE[1]),
            gxe.ExpectColumnValuesToBeInSet(column=POSITION, value_set=[CONFORME, SANS_POSITION], description=POSITION_FR),
        ],
        "services": [
            gxe.ExpectColumnValuesToNotBeNull(column="categorie"),
            gxe.ExpectColumnValuesToBeInSet(column="categorie", value_set=sorted(categories())),
        ],
    }


SUITES = {"soliguide__lieux": lieux}
