"""data·inclusion / DORA structures and services (schema v0 or v1): identifiers, codes, coordinates, taxonomies;
plausible points (ingestion.positions: not swapped, in France, in the département of their code, or placed by a
commune code)."""

from __future__ import annotations

from typing import Any

from expectations.suites.common import CODE_COMMUNE, POSITION, POSITION_FR
from ingestion.positions import CONFORME, SANS_POSITION

CODE_POSTAL = r"^\d{5}$"
DATE_ISO = r"^\d{4}-\d{2}-\d{2}"
NOMBRE = r"^-?\d+(?:[.,]\d+)?$"
# Metropolitan France and overseas départements (Guadeloupe -61.8 … Réunion 55.8, Réunion -21.4 … Nord 51.1).
LATITUDE = (-21.5, 51.2)
LONGITUDE = (-63.2, 55.9)
# A zone code is a commune, a département, an EPCI SIREN, a région code prefixed by nothing, or `france`.
CODE_ZONE = r"^(?:france|\d{5}|2[AB]\d{3}|\d{2}|2[AB]|97\d|\d{9})$"


def enregistrements(lecture: Any, cle: str = "id") -> list[Any]:
    import great_expectations.expectations as gxe

    exps = [gxe.ExpectTableRowCountToBeBetween(min_value=1, max_value=500_000)]
    exps += [gxe.ExpectColumnValuesToNotBeNull(column=c) for c in lecture.info["requis"]]
    exps += [
        gxe.ExpectColumnValuesToBeUnique(column=cle),
        gxe.ExpectColumnValueLengthsToBeBetween(column="nom", min_value=3, max_value=150),
        gxe.ExpectColumnValuesToMatchRegex(column="date_maj", regex=DATE_ISO),
        gxe.ExpectColumnValuesToMatchRegex(column="code_insee", regex=CODE_COMMUNE),
        gxe.ExpectColumnValuesToMatchRegex(column="code_postal", regex=CODE_POSTAL),
        gxe.ExpectColumnValuesToMatchRegex(column="latitude_brute", regex=NOMBRE),
        gxe.ExpectColumnValuesToMatchRegex(column="longitude_brute", regex=NOMBRE),
        gxe.ExpectColumnValuesToBeBetween(column="latitude", min_value=LATITUDE[0], max_value=LATITUDE[1]),
        gxe.ExpectColumnValuesToBeBetween(column="longitude", min_value=LONGITUDE[0], max_value=LONGITUDE[1]),
        gxe.ExpectColumnValuesToBeInSet(column=POSITION, value_set=[CONFORME, SANS_POSITION], description=POSITION_FR),
    ]
    return exps


def _in_taxonomy(column: str, version: str, taxonomie: str) -> Any:
    import great_expectations.expectations as gxe

    from ingestion.taxonomies import valeurs

    return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=sorted(valeurs(version, taxonomie)))


def structures(lecture: Any) -> dict[str, list[Any]]:
    version = lecture.info["version"]
    suite = {"enregistrements": enregistrements(lecture),
             "thematiques": [_in_taxonomy("thematique", version, "thematiques")]}
    if version == "v0":
        suite["typologies"] = [_in_taxonomy("typologie", "v0", "typologies_de_structures")]
    return suite


def services(lecture: Any) -> dict[str, list[Any]]:
    import great_expectations.expectations as gxe

    version = lecture.info["version"]
    return {
        "enregistrements": enregistrements(lecture),
        "thematiques": [_in_taxonomy("thematique", version, "thematiques")],
        "publics": [_in_taxonomy("public", version, "profils" if version == "v0" else "publics")],
        "modes_accueil": [_in_taxonomy("mode_accueil", version, "modes_accueil")],
        "zones": [gxe.ExpectColumnValuesToMatchRegex(column="code_zone", regex=CODE_ZONE)],
    }


SUITES = {"data_inclusion__structures": structures, "data_inclusion__services": services}
