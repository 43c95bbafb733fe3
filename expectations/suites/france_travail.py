"""DEFM by territory and quarter: code per zone type, one row per zone × quarter, counts ≥ 0, ABC ≈ A + B + C
(rounding to the ten; when a category is secret, ABC ≥ the published ones), ABC hors BRSA ≤ ABC,
categories F/G empty before 2025, quarter consistent with the name."""

from __future__ import annotations

from typing import Any

from expectations.suites.besoins_commun import bornes, cellules

ZONE = r"^(?:COM:(?:\d{5}|2[AB]\d{3})|EPCI:\d{9}|DEP:(?:\d{2}|2[AB]|97\d))$"


def defm(lecture: Any) -> dict[str, list[Any]]:
    import great_expectations.expectations as gxe

    infos = lecture.info
    cells = [
        gxe.ExpectTableRowCountToBeBetween(min_value=1, max_value=40_000 * 40),
        gxe.ExpectColumnValuesToNotBeNull(column="CODE_ZONE"),
        gxe.ExpectColumnValuesToMatchRegex(column="TYPE_ZONE:CODE_ZONE", regex=ZONE),
        gxe.ExpectColumnValuesToMatchRegex(column="TRIMESTRE (normalisé)", regex=r"^(?:19|20)\d{2}-T[1-4]$"),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["TYPE_ZONE", "CODE_ZONE", "TRIMESTRE (normalisé)"]),
    ] + cellules(infos["variables"])
    if infos["millesime_nom"]:
        cells.append(gxe.ExpectColumnValuesToBeInSet(column="année", value_set=[str(infos["millesime_nom"])]))
    nums = bornes(infos["variables"])
    if "ecart_abc" in infos["controles"]:
        nums.append(gxe.ExpectColumnValuesToBeBetween(column=infos["controles"]["ecart_abc"], min_value=-30,
                                                      max_value=30))
    if "ecart_abc_connues" in infos["controles"]:  # a category secret: ABC ≥ the published ones (rounding)
        nums.append(gxe.ExpectColumnValuesToBeBetween(column=infos["controles"]["ecart_abc_connues"], min_value=-30))
    if "hors_brsa" in infos["controles"]:
        nums.append(gxe.ExpectColumnValuesToBeBetween(column=infos["controles"]["hors_brsa"], min_value=-10))
    nums += [gxe.ExpectColumnValuesToBeNull(column=f"{c} publié avant 2025") for c in infos["nouvelles"]]
    return {"cellules": cells, "valeurs": nums}


SUITES = {"france_travail__defm": defm}
