"""INSEE Filosofi wide files: two control frames, raw cells (`cellules`) and parsed numbers (`valeurs`)."""

from __future__ import annotations

from typing import Any

from expectations.suites.common import CODE_PAR_NIVEAU

CELLULE_FILOSOFI = r"^(?:-?\d+(?:[.,]\d+)?|s|ns|nd|so|)$"
# Poverty rates and the share of taxed households are true percentages. Income-structure shares are
# shares of *disposable* income: taxes count negatively (PIMPOT < 0), so activity income can exceed
# 100 % (seen in the real 2021 file: PACT = 107.1).
TAUX_FILOSOFI = ("TP60", "TP50", "TP40", "PIMP")
PARTS_REVENU = ("PACT", "PTSA", "PCHO", "PBEN", "PPEN", "PPAT", "PPSOC", "PPFAM", "PPMINI", "PPLOGT", "PIMPOT")
COMPTES_FILOSOFI = ("NBMENFISC", "NBPERSMENFISC", "NBMEN", "NBPERS", "NBUC", "MED", "Q1", "Q2", "Q3", "D1",
                    "D2", "D3", "D4", "D6", "D7", "D8", "D9")


def large(lecture: Any) -> dict[str, list[Any]]:
    import great_expectations.expectations as gxe

    niveau = lecture.infos["niveau"]
    variables = lecture.infos["variables"]
    cellules = [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        # Required variables come from the registry format, not from what the file happens to contain.
        gxe.ExpectTableColumnsToMatchSet(column_set=["CODGEO", *lecture.infos["obligatoires"]], exact_match=False),
        gxe.ExpectColumnValuesToNotBeNull(column="CODGEO"),
        gxe.ExpectColumnValuesToMatchRegex(column="CODGEO", regex=CODE_PAR_NIVEAU[niveau]),
        gxe.ExpectColumnValuesToBeUnique(column="CODGEO"),
    ]
    cellules += [gxe.ExpectColumnValuesToMatchRegex(column=v, regex=CELLULE_FILOSOFI) for v in variables]
    valeurs = []
    for v in variables:
        if v in PARTS_REVENU:
            valeurs.append(gxe.ExpectColumnValuesToBeBetween(column=v, min_value=-100, max_value=200))
        elif v.startswith(TAUX_FILOSOFI):
            valeurs.append(gxe.ExpectColumnValuesToBeBetween(column=v, min_value=0, max_value=100))
        elif v in COMPTES_FILOSOFI:
            valeurs.append(gxe.ExpectColumnValuesToBeBetween(column=v, min_value=0))
    return {"cellules": cellules, "valeurs": valeurs}


SUITES = {"insee_filosofi__large": large}
