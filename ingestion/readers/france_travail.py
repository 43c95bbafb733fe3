"""DARES / France Travail: demandeurs d'emploi inscrits en fin de trimestre, by commune, EPCI or département.

Layout implemented (the DARES local file could not be checked here, see the registry fragment): `;`-separated
UTF-8 csv, one row per territory × quarter:
`TYPE_ZONE;CODE_ZONE;LIBELLE_ZONE;TRIMESTRE;DEFM_A;DEFM_B;DEFM_C;DEFM_ABC;DEFM_F;DEFM_G;DEFM_ABC_HORS_BRSA_JP`
TYPE_ZONE ∈ COM/EPCI/DEP; TRIMESTRE `2024T4` or `2024-T4`; counts rounded to the ten; `s` = secret (small
counts), `so` = sans objet (F and G do not exist before 2025). DEFM_ABC_HORS_BRSA_JP = categories A, B, C
excluding RSA beneficiaries and young people in parcours (CEJ/PACEA), the series comparable across 2025.
"""

from __future__ import annotations

import pandas as pd

from ingestion.errors import InvalidFile
from ingestion.readers.common import ReadResult, read_delimited
from ingestion.readers.long_format import melt_wide, require_columns
from ingestion.readers.numbers import to_number
from ingestion.registry import RecognisedFile

IDENTIFIANTS = ["TYPE_ZONE", "CODE_ZONE", "LIBELLE_ZONE", "TRIMESTRE"]
CATEGORIES = ["DEFM_A", "DEFM_B", "DEFM_C", "DEFM_ABC"]
NOUVELLES = ["DEFM_F", "DEFM_G"]  # from 1 January 2025 (loi plein emploi)
HORS_BRSA = "DEFM_ABC_HORS_BRSA_JP"
NIVEAUX = {"COM": "commune", "EPCI": "epci", "DEP": "departement"}
ECART_CONNUES = "DEFM_ABC − (catégories A, B, C publiées, une au moins secrète)"


def read_defm(fichier: RecognisedFile) -> ReadResult:
    path = fichier.path
    raw = read_delimited(path)
    require_columns(path, list(raw.columns), IDENTIFIANTS + CATEGORIES)
    variables = [c for c in raw.columns if c not in IDENTIFIANTS]
    periode = raw["TRIMESTRE"].str.upper().str.replace(r"^(\d{4})-?T([1-4])$", r"\1-T\2", regex=True)
    annee = to_number(periode.str[:4].where(periode.str.match(r"^\d{4}-T[1-4]$")))
    if annee.isna().all():
        raise InvalidFile(path.name, "aucun trimestre lisible dans la colonne TRIMESTRE (attendu AAAAT1 à AAAAT4)")
    niveau = raw["TYPE_ZONE"].str.upper().map(NIVEAUX).fillna("inconnu")
    frame = raw.assign(_periode=periode, _annee=annee.astype("Int32"))
    long, nombres = [], {}
    for col in variables:
        part, nombres[col] = melt_wide(frame, niveau=niveau, code="CODE_ZONE", libelle="LIBELLE_ZONE",
                                                   variables={col: col}, millesime=0, periode=None,
                                                   extra=["_periode", "_annee"])
        long.append(part)
    landing = pd.concat(long, ignore_index=True)
    landing["periode"] = landing.pop("_periode")
    landing["millesime"] = landing.pop("_annee").astype("Int32")
    numbers = pd.DataFrame({c: nombres[c][c] for c in variables}, index=raw.index)
    numbers.insert(0, "CODE_ZONE", raw["CODE_ZONE"])
    controles_num = {}
    if all(c in numbers for c in CATEGORIES):
        # Counts are rounded to the ten: A + B + C may differ from ABC by a few tens at most.
        parts = numbers[["DEFM_A", "DEFM_B", "DEFM_C"]]
        numbers["DEFM_ABC − (A + B + C)"] = numbers["DEFM_ABC"] - parts.sum(axis=1, min_count=3)
        controles_num["ecart_abc"] = "DEFM_ABC − (A + B + C)"
        # A secret category (small count) leaves ABC bounded by the known ones: their sum cannot exceed it.
        partiel = parts.isna().any(axis=1) & parts.notna().any(axis=1)
        numbers[ECART_CONNUES] = (numbers["DEFM_ABC"] - parts.sum(axis=1, min_count=1)).where(partiel)
        controles_num["ecart_abc_connues"] = ECART_CONNUES
    if HORS_BRSA in numbers:
        numbers[f"DEFM_ABC − {HORS_BRSA}"] = numbers["DEFM_ABC"] - numbers[HORS_BRSA]
        controles_num["hors_brsa"] = f"DEFM_ABC − {HORS_BRSA}"
    for col in NOUVELLES:
        if col in numbers:
            numbers[f"{col} publié avant 2025"] = numbers[col].where(annee < 2025)
    cells = raw[IDENTIFIANTS + variables].fillna("")
    cells["TYPE_ZONE:CODE_ZONE"] = raw["TYPE_ZONE"].str.upper() + ":" + raw["CODE_ZONE"]
    cells["TRIMESTRE (normalisé)"] = periode
    cells["année"] = annee.astype("Int32").astype(str)
    years = sorted({int(a) for a in annee.dropna()})
    return ReadResult(checks={"cellules": cells, "valeurs": numbers},
                   tables={"france_travail_valeurs": landing}, millesime=max(years),
                   info={"variables": variables, "controles": controles_num, "annees": years,
                          "millesime_nom": fichier.millesime,
                          "nouvelles": [c for c in NOUVELLES if c in numbers]})
