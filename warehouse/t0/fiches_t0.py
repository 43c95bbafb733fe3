"""A fiche action's T0 is the value of the frozen snapshot it names, or the fiche is refused.

The fiches template (`bin/pacte template fiches-actions --t0 LABEL`) writes each résultat indicator's T0 with
« photographie LABEL (figée le …) » as its source. When the filled workbook comes back, each such T0 is read
again from that snapshot (`warehouse.livrables.fiches.valeurs_photographie`, which filled it): a value typed
over, a millésime changed or a snapshot that this workspace does not hold is refused, naming sheet, column and
row. A T0 taken from the published build (no snapshot named) cannot be checked later — builds change — and is
published as written, with its source.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ingestion.errors import InvalidFile, Issue, PacteError
from warehouse.livrables.fiches import unit_decimals, valeurs_photographie

SOURCE_PHOTOGRAPHIE = re.compile(r"^photographie (?P<label>\S+) \(figée le")
VALEUR, MILLESIME, SOURCE = "Valeur T0", "Millésime T0", "Source du T0"


def _same(written: float, frozen: float, decimales: int) -> bool:
    """A T0 typed as shown (rounded to its unit's decimals) is the snapshot's value."""
    return abs(written - frozen) <= 0.5 * 10 ** -decimales + 1e-9


def check_fiches_t0(workspace_root: Path, fichier: str, indicateurs: pd.DataFrame) -> None:
    """Raise InvalidFile when a résultat indicator's T0 differs from the snapshot named as its source."""
    resultats = indicateurs[indicateurs["type_indicateur"] == "resultat"]
    decimales = unit_decimals()
    frozen: dict[tuple[str, str], dict[str, tuple] | PacteError] = {}
    issues: list[Issue] = []
    for row in resultats.itertuples(index=False):
        match = SOURCE_PHOTOGRAPHIE.match(str(row.source_t0 or ""))
        if match is None or row.valeur_t0 is None or pd.isna(row.valeur_t0):
            continue
        label, key = match["label"], (match["label"], str(row.code_departement))
        if key not in frozen:
            try:
                frozen[key] = valeurs_photographie(workspace_root, key[1], label)[0]
            except PacteError as exc:  # unknown or unreadable snapshot, or none of the département's rows
                frozen[key] = exc
        values = frozen[key]
        if isinstance(values, PacteError):
            issues.append(Issue(regle=f"photographie « {label} » absente de cet espace de travail : le T0 ne peut "
                                      "pas être vérifié (bin/pacte t0 list, ou bin/pacte t0 import)",
                                feuille=row.feuille, colonne=SOURCE, lignes=[int(row.ligne)]))
            continue
        if row.indicateur not in values:
            issues.append(Issue(regle=f"indicateur absent de la photographie « {label} » : pas de T0 à cette date",
                                feuille=row.feuille, colonne=VALEUR, lignes=[int(row.ligne)]))
            continue
        valeur, millesime, _statut = values[row.indicateur]
        if valeur is None or not _same(float(row.valeur_t0), float(valeur), decimales.get(row.unite or "", 1)):
            issues.append(Issue(regle=f"T0 différent de celui de la photographie « {label} » ({valeur} au "
                                      f"millésime {millesime}) : recopiez la valeur du modèle",
                                feuille=row.feuille, colonne=VALEUR, lignes=[int(row.ligne)]))
        elif str(row.millesime_t0 or "") != str(millesime):
            issues.append(Issue(regle=f"millésime du T0 différent de celui de la photographie « {label} » "
                                      f"({millesime})",
                                feuille=row.feuille, colonne=MILLESIME, lignes=[int(row.ligne)]))
    if issues:
        raise InvalidFile(fichier, issues)
