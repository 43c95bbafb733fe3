"""CAF open data: allocataires and prestations at IRIS, commune and EPCI level (csv `;`).

- IRIS (« données CAF à l'IRIS », data_CAF_AAAA_IRIS.csv): `CODGEO` (9 characters), `NOTE` (quality flag
  0/2/3/4/5, kept as column `note`), counts A, PERCOU, …, ARSAS. Masked cells are blank → statut secret.
- Commune (legacy data.caf.fr per-theme files): `Communes` (libellé), `Codes_Insee`, theme variables
  (NB_allocataire_RSA, RSA_SOCLE_Majore, ALL_AAH, ALL_ASF, ALL_bas_revenu, Pers_bas_revenu, …), `DTREF`.
- EPCI (data.caf.fr lisezmoi NIVTOTALEPCI): `NOMEPCI`, `NUMEPCI`, `DEPSEPCI`, `DTREF`, variables.
Data are observed at 31 December: periode = 'AAAA-12'.
"""

from __future__ import annotations

import re

import pandas as pd

from ingestion.errors import InvalidFile, Issue
from ingestion.readers.common import ReadResult, read_delimited
from ingestion.readers.long_format import melt_wide, require_columns
from ingestion.readers.numbers import to_number
from ingestion.registry import RecognisedFile

IRIS_COLONNES = ["CODGEO", "NOTE", "A", "PERCOU", "AI", "AM", "ACSSENF", "ACAVENF", "AC3ENF", "ENF", "ENF_2",
                 "ENF_3_5", "ENF_6_10", "ENF_11_14", "ENF_15_17", "ENF_18_24", "A_ETUD", "A_NETUD_24", "AAL", "AAPL",
                 "AAAH", "APPA", "ARSAS"]
# (part, total): a count of allocataires of one prestation never exceeds its total.
EMBOITEMENTS = [("ARSAS", "A"), ("APPA", "A"), ("AAAH", "A"), ("AAL", "A"), ("AAPL", "AAL"), ("A", "PERCOU"),
                ("RSA_SOCLE_Majore", "NB_allocataire_RSA"), ("RSA_SOCLE_non_Majore", "NB_allocataire_RSA"),
                ("Dont_RSA_jeune", "NB_allocataire_RSA"), ("Pers_bas_revenu", "NB_pers_couv_ress"),
                ("ALL_bas_revenu", "NB_allocataires_ress")]
IDENTIFIANTS = {"commune": ("Codes_Insee", "Communes", ["DTREF"]),
                "epci": ("NUMEPCI", "NOMEPCI", ["DTREF", "DEPSEPCI"])}
TAUX = re.compile(r"^(?:TR\d+|PART_|TAUX_)")


def _emboitees(numbers: pd.DataFrame) -> list[str]:
    names = []
    for part, total in EMBOITEMENTS:
        if part in numbers.columns and total in numbers.columns:
            name = f"{total} − {part}"
            numbers[name] = numbers[total] - numbers[part]
            names.append(name)
    return names


def read_caf_iris(fichier: RecognisedFile) -> ReadResult:
    path = fichier.path
    raw = read_delimited(path)
    require_columns(path, list(raw.columns), ["CODGEO", "NOTE", "A", "PERCOU"])
    variables = [c for c in raw.columns if c not in ("CODGEO", "NOTE")]
    millesime = fichier.millesime
    if millesime is None:
        raise InvalidFile(path.name, "millésime introuvable dans le nom du fichier (data_CAF_AAAA_IRIS.csv)")
    landing, numbers = melt_wide(raw, niveau="iris", code="CODGEO", libelle=None,
                                             variables={c: c for c in variables}, millesime=millesime,
                                             periode=f"{millesime}-12", extra=["NOTE"])
    landing["note"] = to_number(landing.pop("NOTE")).astype("Int32")
    numbers.insert(0, "CODGEO", raw["CODGEO"])
    emboitees = _emboitees(numbers)
    cells = raw[["CODGEO", "NOTE", *variables]].fillna("")
    return ReadResult(checks={"cellules": cells, "valeurs": numbers}, tables={"caf_valeurs": landing},
                   millesime=millesime,
                   info={"niveau": "iris", "code": "CODGEO", "variables": variables, "emboitees": emboitees,
                          "taux": []})


def _read_caf_territoires(fichier: RecognisedFile, niveau: str) -> ReadResult:
    path = fichier.path
    raw = read_delimited(path)
    code, libelle, autres = IDENTIFIANTS[niveau]
    require_columns(path, list(raw.columns), [code, libelle, "DTREF"])
    variables = [c for c in raw.columns if c not in (code, libelle, *autres)]
    if not variables:
        raise InvalidFile(path.name, "aucune colonne de valeurs après les identifiants")
    annees = _annees(raw["DTREF"])
    millesime = fichier.millesime or (int(annees.mode().iloc[0]) if annees.notna().any() else None)
    if millesime is None:
        raise InvalidFile(path.name, [Issue(regle="date de référence illisible", colonne="DTREF")])
    landing, numbers = melt_wide(raw, niveau=niveau, code=code, libelle=libelle,
                                             variables={c: c for c in variables}, millesime=millesime,
                                             periode=f"{millesime}-12")
    landing["note"] = None  # no quality flag at this level
    numbers.insert(0, code, raw[code])
    emboitees = _emboitees(numbers)
    cells = raw[[code, *variables]].fillna("")
    cells["DTREF (année)"] = annees.fillna("")
    return ReadResult(checks={"cellules": cells, "valeurs": numbers}, tables={"caf_valeurs": landing},
                   millesime=millesime,
                   info={"niveau": niveau, "code": code, "variables": variables, "emboitees": emboitees,
                          "taux": [c for c in variables if TAUX.match(c)], "millesime": millesime})


def _annees(dtref: pd.Series) -> pd.Series:
    """Year at the end of each reference date: the regex runs once per distinct date (a handful per file)."""
    codes, dates = pd.factorize(dtref)
    years = pd.Series(dates).str.extract(r"(\d{4})\s*$")[0]
    return pd.Series(years.array.take(codes, allow_fill=True), index=dtref.index, name=years.name)


def read_caf_communes(fichier: RecognisedFile) -> ReadResult:
    return _read_caf_territoires(fichier, "commune")


def read_caf_epci(fichier: RecognisedFile) -> ReadResult:
    return _read_caf_territoires(fichier, "epci")
