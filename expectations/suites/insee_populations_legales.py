"""INSEE populations légales (`ensemble.xlsx`): codes per level, counts ≥ 0, totale = municipale + à part."""

from __future__ import annotations

from typing import Any

from expectations.suites.besoins_commun import bornes, cellules, identifiants
from expectations.suites.common import CODE_PAR_NIVEAU

# A national file has ~35,000 communes, ~100 départements, 18 régions; a département extract is tolerated.
LIGNES = {"commune": (1, 40_000), "departement": (1, 110), "region": (1, 30)}


def ensemble(lecture: Any) -> dict[str, list[Any]]:
    import great_expectations.expectations as gxe

    suite: dict[str, list[Any]] = {}
    for niveau, frame in lecture.checks.items():
        pops = [c for c in lecture.info["populations"] if c in frame.columns]
        lo, hi = LIGNES[niveau]
        exps = identifiants("code_geo", CODE_PAR_NIVEAU[niveau], ["code_geo"], lo, hi)
        exps += cellules([f"{c} (cellule)" for c in pops]) + bornes(pops)
        exps += [gxe.ExpectColumnValuesToNotBeNull(column=c) for c in pops]
        ecart = "Population totale − municipale − comptée à part"
        if ecart in frame.columns:
            exps.append(gxe.ExpectColumnValuesToBeBetween(column=ecart, min_value=0, max_value=0))
        suite[niveau] = exps
    return suite


SUITES = {"insee_populations_legales__ensemble": ensemble}
