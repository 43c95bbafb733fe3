"""CAF allocataires: code format per level, unique territories, NOTE flag values, counts ≥ 0, parts ≤ totals,
reference date consistent with the file name."""

from __future__ import annotations

from typing import Any

from expectations.suites.besoins_commun import bornes, cellules, identifiants
from expectations.suites.common import CODE_PAR_NIVEAU

# Communes include the CAF pseudo-codes of the legacy files: 99999 (abroad) and XXXXX (unknown commune).
CODE_CAF = {**CODE_PAR_NIVEAU, "commune": r"^(?:\d{5}|2[AB]\d{3}|99999|XXXXX)$"}
LIGNES = {"iris": (1, 60_000), "commune": (1, 40_000), "epci": (1, 1_400)}


def valeurs(lecture: Any) -> dict[str, list[Any]]:
    import great_expectations.expectations as gxe

    infos = lecture.info
    niveau, code, variables = infos["niveau"], infos["code"], infos["variables"]
    lo, hi = LIGNES[niveau]
    cells = identifiants(code, CODE_CAF[niveau], [code], lo, hi) + cellules(variables)
    if niveau == "iris":
        cells.append(gxe.ExpectColumnValuesToBeInSet(column="NOTE", value_set=["0", "1", "2", "3", "4", "5"]))
    else:
        cells.append(gxe.ExpectColumnValuesToBeInSet(column="DTREF (année)", value_set=[str(infos["millesime"])]))
    nums = bornes(variables, set(infos["taux"]))
    nums += [gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0) for c in infos["emboitees"]]
    return {"cellules": cells, "valeurs": nums}


SUITES = {"caf__valeurs": valeurs}
