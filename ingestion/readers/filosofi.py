"""INSEE Filosofi, wide layout (2012-2021): CODGEO [+ LIBGEO] + variables suffixed by the 2-digit year."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ingestion.errors import Anomalie, FichierInvalide
from ingestion.readers.common import Lecture, read_delimited, statut_of, to_number
from ingestion.registry import FichierReconnu

ID_COLUMNS = ("CODGEO", "LIBGEO")
CODE_LENGTH_TO_LEVEL = {5: "commune", 9: "epci", 2: "departement", 3: "departement"}


def _level(fichier: FichierReconnu, codes: pd.Series) -> str:
    if fichier.niveau:
        return fichier.niveau
    length = int(codes.str.len().mode().iloc[0])
    return CODE_LENGTH_TO_LEVEL.get(length, "commune")


def _strip_year(columns: list[str], yy: str, path: Path) -> dict[str, str]:
    """Map published column → variable without its year suffix; refuse a file whose suffix contradicts its name.

    `TP6021` → `TP60`, `TP60AGE121` → `TP60AGE1`, `S80S2019` → `S80S20`; columns published without a
    suffix (`RD`, `Q3_Q1` in 2019) keep their name.
    """
    renamed: dict[str, str] = {}
    other_years: set[str] = set()
    for col in columns:
        if col in ID_COLUMNS:
            continue
        if len(col) > 2 and col.endswith(yy):
            renamed[col] = col[:-2]
        else:
            renamed[col] = col
            m = re.fullmatch(r"(NBMENFISC|NBMEN|MED|TP60|Q2)(\d{2})", col)
            if m:
                other_years.add(m.group(2))
    if other_years:
        raise FichierInvalide(path.name, [Anomalie(
            regle=(f"millésime incohérent : le nom du fichier indique 20{yy} mais les colonnes sont suffixées "
                   + ", ".join(sorted(other_years))))])
    return renamed


def read_filosofi_wide(fichier: FichierReconnu) -> Lecture:
    path = fichier.path
    raw = read_delimited(path)
    if "CODGEO" not in raw.columns:
        raise FichierInvalide(path.name, [Anomalie(regle="colonne d'identifiant absente (attendue : CODGEO)",
                                                   colonne="CODGEO")])
    millesime = fichier.millesime
    if millesime is None:
        raise FichierInvalide(path.name, "millésime introuvable (ni dans le nom du fichier ni dans les colonnes)")
    yy = f"{millesime % 100:02d}"
    renamed = _strip_year(list(raw.columns), yy, path)
    value_cols = list(renamed)
    niveau = _level(fichier, raw["CODGEO"])

    numbers = pd.DataFrame({renamed[c]: to_number(raw[c]) for c in value_cols}, index=raw.index)
    numbers.insert(0, "CODGEO", raw["CODGEO"])
    tokens = raw[["CODGEO", *value_cols]].rename(columns=renamed)

    long = raw.reset_index().melt(id_vars=["ligne", "CODGEO"] + (["LIBGEO"] if "LIBGEO" in raw else []),
                                  value_vars=value_cols, var_name="colonne", value_name="valeur_brute")
    long["variable"] = long["colonne"].map(renamed)
    long["valeur"] = to_number(long["valeur_brute"])
    long["statut"] = statut_of(long["valeur_brute"])
    landing = pd.DataFrame({
        "niveau": niveau,
        "code_geo": long["CODGEO"],
        "libelle_geo": long["LIBGEO"] if "LIBGEO" in long else None,
        "millesime": millesime,
        "variable": long["variable"],
        "valeur": long["valeur"],
        "statut": long["statut"],
        "ligne": long["ligne"].astype("int64"),
    })
    return Lecture(controles={"cellules": tokens, "valeurs": numbers}, tables={"filosofi": landing},
                   millesime=millesime,
                   infos={"niveau": niveau, "variables": sorted(set(renamed.values())),
                          "obligatoires": list(fichier.format.entete.get("colonnes_millesimees", []))})
