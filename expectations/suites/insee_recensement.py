"""INSEE recensement base-cc: commune codes, one row per commune, counts ≥ 0, sub-populations ≤ totals."""

from __future__ import annotations

from typing import Any

from expectations.suites.besoins_commun import bornes, cellules, identifiants
from expectations.suites.common import CODE_COMMUNE


def base_cc(lecture: Any) -> dict[str, list[Any]]:
    import great_expectations.expectations as gxe

    variables = lecture.info["variables"]
    cells = identifiants("CODGEO", CODE_COMMUNE, ["CODGEO"], 1, 40_000) + cellules(variables)
    valeurs = bornes(variables)
    valeurs += [gxe.ExpectColumnValuesToBeBetween(column=c, min_value=-0.5) for c in lecture.info["emboitees"]]
    return {"cellules": cells, "valeurs": valeurs}


SUITES = {"insee_recensement__base_cc": base_cc}
