"""The comité's workbook of the pistes of étape 3: its layout, shared by the writer
(`warehouse.livrables.pistes`, `bin/pacte template pistes`) and the reader (`ingestion.readers.pistes`).

One sheet « Pistes », one row per ranked piste of the département (marts.pistes). The columns of the warehouse
are pre-filled; the comité fills the decision (drop-down list retenue / amendée / écartée), the two judgement
criteria scored 1 to 4 (effet levier, faisabilité), and free text (amended title, acteur associé, comment).
"""

from __future__ import annotations

import csv
from pathlib import Path

from ingestion.dispositifs_template import AXES

FEUILLE = "Pistes"
FEUILLE_LISTES = "Listes"
DECISIONS = ["retenue", "amendée", "écartée"]
NOTES = [1, 2, 3, 4]
# (header, landing column or None when the column is only shown, width, filled by the comité)
COLONNES: list[tuple[str, str | None, int, bool]] = [
    ("Département", "code_departement", 12, False),
    ("Axe du Pacte", "axe", 40, False),
    ("Piste (identifiant)", "piste_id", 12, False),
    ("Rang", None, 7, False),
    ("Score (sur 4)", None, 9, False),
    ("Piste", None, 50, False),
    ("EPCI concernés", None, 40, False),
    ("Argumentaire", None, 90, False),
    ("Décision du comité", "decision", 16, True),
    ("Effet levier (1 à 4)", "levier", 12, True),
    ("Faisabilité (1 à 4)", "faisabilite", 12, True),
    ("Intitulé amendé", "intitule_amende", 40, True),
    ("Acteur associé", "acteur_associe", 30, True),
    ("Commentaire du comité", "commentaire", 50, True),
]
SAISIES = [h for h, _, _, saisie in COLONNES if saisie]  # the columns a comité fills
PISTES_SEED = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "ref_pistes_annexe1.csv"


def axe_libelle(axe: str) -> str:
    """« N — libellé » as in the drop-down lists of the workbooks (ingestion.dispositifs_template.AXES)."""
    return next(a for a in AXES if a.split(" — ", 1)[0] == axe)


def pistes_connues() -> dict[str, str]:
    """piste_id → axe, from the seed that lists the thématiques of Annexe 1 (dbt's ref_pistes_annexe1)."""
    with PISTES_SEED.open(encoding="utf-8", newline="") as fh:
        return {r["piste_id"]: r["axe"] for r in csv.DictReader(fh)}
