"""INSEE Filosofi, wide layout (2012-2021): CODGEO [+ LIBGEO] + variables suffixed by the 2-digit year."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ingestion.dictionaries import FICHIER_OF_FORMAT, Variable, dictionary_for
from ingestion.errors import InvalidFile, Issue
from ingestion.readers.common import ReadResult, read_delimited
from ingestion.readers.long_format import melt_wide
from ingestion.readers.numbers import to_number
from ingestion.registry import RecognisedFile

ID_COLUMNS = ("CODGEO", "LIBGEO")
CODE_LENGTH_TO_LEVEL = {5: "commune", 9: "epci", 2: "departement", 3: "departement"}


def _level(fichier: RecognisedFile, codes: pd.Series) -> str:
    if fichier.niveau:
        return fichier.niveau
    length = int(codes.str.len().mode().iloc[0])
    return CODE_LENGTH_TO_LEVEL.get(length, "commune")


def _variables(columns: list[str], yy: str, path: Path, dictionary: dict[str, Variable]
               ) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Published column → landed variable and landed variable → unit, from the vintage's dictionary;
    refuse a file whose year suffix contradicts its name.

    `AGE1TP6016` → `TP60AGE1` (pourcentage), `TP60Q216` → `TP60Q2` (euros), `S80S2019` → `S80S20`. A column
    the dictionary does not describe keeps its name without the year suffix, with no unit (not range-checked):
    it is listed in `hors_dictionnaire`.
    """
    renamed: dict[str, str] = {}
    unites: dict[str, str] = {}
    unknown: list[str] = []
    other_years: set[str] = set()
    for col in columns:
        if col in ID_COLUMNS:
            continue
        known = dictionary.get(col)
        if known is not None:
            renamed[col] = known.variable
            unites[known.variable] = known.unite
            continue
        unknown.append(col)
        if len(col) > 2 and col.endswith(yy):
            renamed[col] = col[:-2]
        else:
            renamed[col] = col
            m = re.fullmatch(r"(NBMENFISC|NBMEN|MED|TP60|Q2)(\d{2})", col)
            if m:
                other_years.add(m.group(2))
        unites[renamed[col]] = "inconnue"
    if other_years:
        raise InvalidFile(path.name, [Issue(
            regle=(f"millésime incohérent : le nom du fichier indique 20{yy} mais les colonnes sont suffixées "
                   + ", ".join(sorted(other_years))))])
    doubles = sorted({v for v in renamed.values() if list(renamed.values()).count(v) > 1})
    if doubles:
        raise InvalidFile(path.name, [Issue(regle="deux colonnes publiées désignent la même variable",
                                            colonne=", ".join(doubles), lignes=[1])])
    return renamed, unites, unknown


def _dictionary(fichier: RecognisedFile, millesime: int) -> dict[str, Variable]:
    try:
        return dictionary_for(fichier.path, fichier.source_id, millesime,
                              FICHIER_OF_FORMAT.get(fichier.format.id, ""))
    except ValueError as exc:
        raise InvalidFile(fichier.path.name, [Issue(regle=str(exc))]) from exc


def read_filosofi_wide(fichier: RecognisedFile) -> ReadResult:
    path = fichier.path
    raw = read_delimited(path)
    if "CODGEO" not in raw.columns:
        raise InvalidFile(path.name, [Issue(regle="colonne d'identifiant absente (attendue : CODGEO)",
                                                   colonne="CODGEO")])
    millesime = fichier.millesime
    if millesime is None:
        raise InvalidFile(path.name, "millésime introuvable (ni dans le nom du fichier ni dans les colonnes)")
    yy = f"{millesime % 100:02d}"
    dictionary = _dictionary(fichier, millesime)
    renamed, unites, unknown = _variables(list(raw.columns), yy, path, dictionary)
    value_cols = list(renamed)
    niveau = _level(fichier, raw["CODGEO"])

    landing, numbers = melt_wide(raw, niveau=niveau, code="CODGEO", libelle="LIBGEO" if "LIBGEO" in raw else None,
                                 variables=renamed, millesime=millesime, periode=None)
    numbers = numbers.rename(columns=renamed)
    numbers.insert(0, "CODGEO", raw["CODGEO"])
    tokens = raw[["CODGEO", *value_cols]].rename(columns=renamed)
    return ReadResult(checks={"cellules": tokens, "valeurs": numbers}, tables={"filosofi": landing},
                   millesime=millesime,
                   info={"niveau": niveau, "variables": sorted(set(renamed.values())), "unites": unites,
                         "hors_dictionnaire": unknown,
                         "dictionnaires": sorted({v.origine for v in dictionary.values()}),
                         "obligatoires": list(fichier.format.entete.get("colonnes_millesimees", []))})


# Long layout (Melodi export): Filosofi 2023 ("Filosofi 2"), DS_FILOSOFI_CC_2023_data.csv, and the republication of
# Filosofi 2021 in a later COG.
COLONNES_LONGUES = ["FILOSOFI_MEASURE", "GEO", "GEO_OBJECT", "UNIT_MEASURE", "CONF_STATUS", "OBS_STATUS",
                    "UNIT_MULT", "TIME_PERIOD", "OBS_VALUE"]
GEO_OBJECT_NIVEAU = {"COM": "commune", "ARM": "commune", "EPCI": "epci", "DEP": "departement", "REG": "region",
                     "FRANCE": "france", "FRMETRO": "france", "FRANCE_METRO": "france", "FM": "france",
                     "FE": "france", "METRO": "france"}


def read_filosofi_long(fichier: RecognisedFile) -> ReadResult:
    """One row per GEO × measure. CONF_STATUS=C → secret; OBS_STATUS=O → non_disponible.

    Other zonings of the file (ARR, AAV, UU, ZE, BV, EPT, CTCD…) are not landed: the warehouse is keyed
    by commune/EPCI/département; they are counted in `infos["lignes_ignorees"]`.
    """
    path = fichier.path
    raw = read_delimited(path)
    missing = [c for c in COLONNES_LONGUES if c not in raw.columns]
    if missing:
        raise InvalidFile(path.name, [Issue(regle="colonne(s) attendue(s) absente(s) ou renommée(s)",
                                                   colonne=", ".join(missing), lignes=[1])])
    objet = raw["GEO_OBJECT"].str.upper()
    kept = raw[objet.isin(GEO_OBJECT_NIVEAU)].copy()
    niveau = kept["GEO_OBJECT"].str.upper().map(GEO_OBJECT_NIVEAU)
    valeur = to_number(kept["OBS_VALUE"])
    secret = kept["CONF_STATUS"].str.upper().eq("C")
    absent = kept["OBS_STATUS"].str.upper().eq("O")
    statut = pd.Series("ok", index=kept.index, dtype=object)
    statut[valeur.isna()] = "non_disponible"
    statut[absent] = "non_disponible"
    statut[secret] = "secret"
    # The millésime of each row is its TIME_PERIOD: INSEE republished Filosofi 2021 in this layout (in a
    # later COG), and a Melodi export may hold several vintages. The name's year, when it has one, is
    # only checked against TIME_PERIOD by the suite.
    periodes = to_number(kept["TIME_PERIOD"])
    years = periodes.dropna()
    millesime = int(years.mode().iloc[0]) if len(years) else fichier.millesime
    if millesime is None:
        raise InvalidFile(path.name, "millésime introuvable (ni dans TIME_PERIOD ni dans le nom du fichier)")
    landing = pd.DataFrame({
        "niveau": niveau, "code_geo": kept["GEO"], "libelle_geo": None,
        "millesime": periodes.astype("Int32"),
        "variable": kept["FILOSOFI_MEASURE"], "valeur": valeur.where(statut == "ok"), "statut": statut,
        "ligne": kept.index.astype("int64"),
    }).reset_index(drop=True)
    controle = kept[COLONNES_LONGUES].copy()
    controle["GEO_OBJECT:GEO"] = kept["GEO_OBJECT"].str.upper() + ":" + kept["GEO"]
    # The unit of each measure comes from the dictionary of its vintage (ingestion/dictionaries).
    unites = pd.Series("inconnue", index=kept.index, dtype=object)
    for year in sorted({int(y) for y in years}):
        dictionary = _dictionary(fichier, year)
        rows = periodes.eq(year)
        unites[rows] = kept.loc[rows, "FILOSOFI_MEASURE"].map(
            {code: v.unite for code, v in dictionary.items()}).fillna("inconnue")
    nombres = pd.DataFrame({"OBS_VALUE": valeur}, index=kept.index)
    taux = unites.eq("pourcentage")
    montants = unites.isin(["euros", "nombre", "ratio"])
    inconnues = sorted(set(kept.loc[unites.eq("inconnue"), "FILOSOFI_MEASURE"]))
    return ReadResult(checks={"lignes": controle, "taux": nombres[taux], "montants": nombres[montants]},
                   tables={"filosofi": landing}, millesime=millesime,
                   info={"lignes_ignorees": int(len(raw) - len(kept)), "millesime": millesime,
                         "millesime_nom": fichier.millesime, "millesimes": sorted({int(y) for y in years}),
                         "hors_dictionnaire": inconnues})
