"""Expectations shared by the needs-source suites (CAF, recensement, France Travail, DREES, populations)."""

from __future__ import annotations

from typing import Any

from ingestion.reference import CELLULE_PUBLIEE as CELLULE


def cellules(columns: list[str]) -> list[Any]:
    import great_expectations.expectations as gxe

    return [gxe.ExpectColumnValuesToMatchRegex(column=c, regex=CELLULE) for c in columns]


def bornes(columns: list[str], taux: set[str] | None = None, max_taux: float = 100.0) -> list[Any]:
    """Counts ≥ 0; rates in [0 ; max_taux]. `taux` names the rate columns."""
    import great_expectations.expectations as gxe

    taux = taux or set()
    return [gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=max_taux if c in taux else None)
            for c in columns]


def identifiants(code: str, regex: str, cle: list[str], min_lignes: int = 1, max_lignes: int | None = None
                 ) -> list[Any]:
    import great_expectations.expectations as gxe

    exps = [
        gxe.ExpectTableRowCountToBeBetween(min_value=min_lignes, max_value=max_lignes),
        gxe.ExpectColumnValuesToNotBeNull(column=code),
        gxe.ExpectColumnValuesToMatchRegex(column=code, regex=regex),
    ]
    if len(cle) == 1:
        exps.append(gxe.ExpectColumnValuesToBeUnique(column=cle[0]))
    else:
        exps.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=cle))
    return exps
