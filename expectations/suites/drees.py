"""DREES département indicators: département codes (+ FM/FE), one row per territory, values ≥ 0, rates bounded,
plausible number of départements."""

from __future__ import annotations

from typing import Any

from expectations.suites.besoins_commun import bornes, cellules, identifiants

CODE = r"^(?:departement:(?:\d{2}|2[AB]|97\d)|france:(?:FM|FE))$"


def isd(lecture: Any) -> dict[str, list[Any]]:
    suite: dict[str, list[Any]] = {}
    for sheet, info in lecture.info["feuilles"].items():
        years = info["annees"]
        suite[f"{sheet} (cellules)"] = identifiants("niveau:code", CODE, ["niveau:code"], 1, 115) + cellules(years)
        borne = info["borne"]
        suite[f"{sheet} (valeurs)"] = bornes(years, set(years) if borne else set(), borne or 100.0)
    return suite


SUITES = {"drees__isd": isd}
