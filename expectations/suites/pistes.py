"""The comité's workbook of the pistes: known axe and piste (and the piste on its axe), decision from the list,
judgement scores 1 to 4, one row per piste and département. Columns are the workbook's French headers."""

from __future__ import annotations

from typing import Any

from expectations.suites.common import CODE_DEPARTEMENT


def classeur(lecture: Any) -> dict[str, list[Any]]:
    import great_expectations.expectations as gxe

    from ingestion.dispositifs_template import AXES
    from ingestion.pistes_template import DECISIONS, NOTES, axe_libelle, pistes_connues

    connues = pistes_connues()
    notes = [str(n) for n in NOTES]
    return {
        "pistes": [
            gxe.ExpectColumnValuesToNotBeNull(column="Département"),
            gxe.ExpectColumnValuesToMatchRegex(column="Département", regex=CODE_DEPARTEMENT),
            gxe.ExpectColumnValuesToNotBeNull(column="Axe du Pacte"),
            gxe.ExpectColumnValuesToBeInSet(column="Axe du Pacte", value_set=AXES,
                                            description="axe inconnu (choisissez un des quatre axes du Pacte)"),
            gxe.ExpectColumnValuesToNotBeNull(column="Piste (identifiant)"),
            gxe.ExpectColumnValuesToBeInSet(column="Piste (identifiant)", value_set=sorted(connues),
                                            description="piste inconnue de l'annexe 1 (seed ref_pistes_annexe1)"),
            gxe.ExpectColumnValuesToBeInSet(
                column="Piste (identifiant) et axe",
                value_set=sorted(f"{p} | {axe_libelle(a)}" for p, a in connues.items()),
                description="la piste n'appartient pas à cet axe"),
            gxe.ExpectColumnValuesToBeInSet(column="Décision du comité", value_set=DECISIONS,
                                            description="décision hors de la liste (retenue, amendée, écartée)"),
            gxe.ExpectColumnValuesToBeInSet(column="Effet levier (1 à 4)", value_set=notes,
                                            description="note hors de l'échelle 1 à 4 (nombre entier)"),
            gxe.ExpectColumnValuesToBeInSet(column="Faisabilité (1 à 4)", value_set=notes,
                                            description="note hors de l'échelle 1 à 4 (nombre entier)"),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["Département", "Piste (identifiant)"],
                                                description="piste présente deux fois pour le même département"),
        ],
    }


SUITES = {"pistes__classeur": classeur}
