"""Filled fiches actions: per sheet, the annual réalisation targets 2024-2027 present and numeric, the résultat
indicators known to the catalogue with a numeric cible 2027; one fiche per piste and département."""

from __future__ import annotations

import csv
from typing import Any

NOMBRE = r"^\s*-?[0-9][0-9\s\u202f\u00a0]*(?:[.,][0-9]+)?\s*$"


def classeur(lecture: Any) -> dict[str, list[Any]]:
    import great_expectations.expectations as gxe

    from ingestion.fiches_template import ANNEES, REALISATION, RESULTAT
    from ingestion.pistes_template import pistes_connues
    from warehouse.dbt_runner import DBT_PROJECT

    with (DBT_PROJECT / "seeds" / "ref_indicateurs.csv").open(encoding="utf-8", newline="") as fh:
        catalogue = sorted(r["indicateur_id"] for r in csv.DictReader(fh))
    suite: dict[str, list[Any]] = {
        "fiches": [
            gxe.ExpectColumnValuesToBeInSet(column="piste_id", value_set=sorted(pistes_connues()),
                                            description="piste inconnue de l'annexe 1 (champ « Piste (identifiant) »)"),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["code_departement", "piste_id"],
                                                description="deux fiches pour la même piste et le même département"),
        ],
    }
    for name, frame in lecture.checks.items():
        if frame.empty:
            continue
        if name.startswith("realisation "):
            suite[name] = [e for a in ANNEES for e in (
                gxe.ExpectColumnValuesToNotBeNull(column=f"Cible {a}", description=f"cible {a} manquante "
                                                  "(indicateur de réalisation : une cible par année 2024-2027)"),
                gxe.ExpectColumnValuesToMatchRegex(column=f"Cible {a}", regex=NOMBRE,
                                                   description=f"cible {a} non numérique"))]
            suite[name].append(gxe.ExpectColumnValuesToNotBeNull(column=REALISATION,
                                                                 description="indicateur de réalisation sans nom"))
        elif name.startswith("resultat "):
            suite[name] = [
                gxe.ExpectColumnValuesToBeInSet(column=RESULTAT[0], value_set=catalogue,
                                                description="indicateur de résultat inconnu du catalogue"),
                gxe.ExpectColumnValuesToNotBeNull(column="Cible 2027", description="cible 2027 manquante"),
                gxe.ExpectColumnValuesToMatchRegex(column="Cible 2027", regex=NOMBRE,
                                                   description="cible 2027 non numérique"),
            ]
    return suite


SUITES = {"fiches_actions__classeur": classeur}
