"""INSEE recensement, base-cc / dossier complet at commune level (csv `;` or xlsx), vintages 2017 to 2022.

Columns: `CODGEO` [+ `REG`, `DEP`, `LIBGEO`] then `Pyy_*` (exploitation principale) and `Cyy_*`
(complémentaire). Landed long: `P21_POP1564` → variable `P_POP1564`, millésime 2021. A file re-expresses
older vintages (the RP 2022 bases carry `P16_`/`P11_` columns, the dossier complet `P21_` and `P15_`): each
column carries its own millésime. The xlsx base-cc has title rows, a row of French labels, then the code
header row (`CODGEO`…) on sheets `COM_AAAA` and `ARM_AAAA` (or `COM`, `ARM`).

Which columns are RP variables, and the name each lands under, comes from the variable dictionary of the
vintage (`ingestion/dictionaries/insee_recensement/recensement_AAAA.csv`, one `FICHIER` per base-cc theme and
`dossier_complet`), completed by the `meta_*` file INSEE publishes beside the data file: it maps the names
that change across vintages (`P19_CHOMEUR1564` → `P_CHOM1564`). The dossier complet also holds non-RP columns
(historical counts `D99_POP`, `SUPERF`, births `NAIS1521`, Filosofi `MED21`, establishments `ETTOT21`…): they
are not landed by this source, only listed (`colonnes_non_chargees`, kept in the landing manifest). A column
that looks like an RP variable but is malformed (`P2X_POP`, `p21_pop`) refuses the file.
"""

from __future__ import annotations

import re
from collections import Counter

import pandas as pd

from ingestion.dictionaries import Variable, dictionary_for, encoded
from ingestion.errors import InvalidFile, Issue
from ingestion.readers.common import ReadResult, read_delimited
from ingestion.readers.long_format import melt_wide
from ingestion.readers.workbook import read_workbook, table_below_titles
from ingestion.registry import RecognisedFile

SOURCE_ID = "insee_recensement"
VARIABLE_RP = re.compile(r"^([PC])(\d{2})_(\w+)$")
# What an RP variable name looks like, well formed or not: a P or C, up to 3 characters, then `_`.
RESSEMBLE_RP = re.compile(r"^[PC][0-9A-Z]{0,3}_\w+$", re.IGNORECASE)
BASE_CC = re.compile(r"^base-cc-(?P<theme>[a-z0-9-]+?)-\d{4}(?:[_-]v\d+)?(?:[_-]geo\d{4})?\.(?:csv|xlsx)$",
                     re.IGNORECASE)
# INSEE names the couples-familles-ménages base `base-cc-coupl-fam-men-AAAA` (the long name is RP 2010's).
THEMES = {"couples-familles-menages": "coupl-fam-men"}
# Sheets of the xlsx base: `COM` and `ARM`, suffixed by the vintage in the published workbooks (`COM_2018`).
FEUILLE = re.compile(r"^(COM|ARM)(?:_\d{4})?$", re.IGNORECASE)
IDENTIFIANTS = ("CODGEO", "REG", "DEP", "LIBGEO")
# Until RP 2016, `NSCOL15P_DIPLMIN` counted "no diploma or at most the BEPC"; from RP 2017 on, "no diploma or
# at most the CEP" (the BEPC got its own column). The older count lands under another name so that it never
# feeds an indicator defined on the newer one (RP 2018-2022 re-express the 2013-2016 counts in their own
# nomenclature).
AVANT_2017 = {"P_NSCOL15P_DIPLMIN": "P_NSCOL15P_DIPLMIN_BEPC"}
# (part, total) pairs without the vintage: P_POP1564 ≤ P_POP, etc.
EMBOITEMENTS = [("P_POP1564", "P_POP"), ("P_POP2064", "P_POP"), ("P_POP75P", "P_POP"), ("P_POP80P", "P_POP75P"),
                ("P_CHOM1564", "P_ACT1564"), ("P_ACT1564", "P_POP1564"), ("C_FAMMONO", "C_FAM"),
                ("P_NSCOL15P_DIPLMIN", "P_NSCOL15P"), ("P_RP_LOCHLMV", "P_RP_LOC"), ("P_RP_LOC", "P_RP"),
                ("P_RP_PROP", "P_RP"), ("P_RP_VOIT1P", "P_RP"), ("C_RP_HSTU1P_SUROCC", "C_RP_HSTU1P"),
                ("P_POP80P_PSEUL", "P_POP80P")]


def _table(fichier: RecognisedFile) -> pd.DataFrame:
    path = fichier.path
    if path.suffix.lower() == ".xlsx":
        sheets = read_workbook(path)
        parts = []
        for name in sorted((n for n in sheets if FEUILLE.match(n)), key=lambda n: not n.upper().startswith("COM")):
            body, _ = table_below_titles(path, sheets[name], name, ["CODGEO"])
            parts.append(body)
        if not [n for n in sheets if FEUILLE.match(n) and n.upper().startswith("COM")]:
            raise InvalidFile(path.name, [Issue(regle="feuille « COM » (ou « COM_AAAA ») absente du classeur")])
        return pd.concat(parts)
    return read_delimited(path)


def fichier_du_dictionnaire(fichier: RecognisedFile) -> str:
    """The `FICHIER` of the dictionary describing this file: `dossier_complet` or the base-cc theme."""
    if fichier.format.id == "recensement_dossier_complet":
        return "dossier_complet"
    m = BASE_CC.match(fichier.path.name)
    theme = m.group("theme").lower() if m else ""
    return THEMES.get(theme, theme)


def _millesime(fichier: RecognisedFile, columns: list[str]) -> int:
    """The vintage of the file: its name's year, else (dossier complet) the latest `Pyy_`/`Cyy_` column."""
    years = {2000 + int(m.group(2)) for c in columns if (m := VARIABLE_RP.match(c))}
    if fichier.millesime:
        if years and fichier.millesime not in years:
            found = ", ".join(str(y) for y in sorted(years))
            raise InvalidFile(fichier.path.name, [Issue(
                regle=f"millésime incohérent : le nom du fichier indique {fichier.millesime}, les colonnes portent "
                      f"{found}", lignes=[1])])
        return fichier.millesime
    if not years:
        raise InvalidFile(fichier.path.name, "aucune variable Pyy_… ou Cyy_… dans le fichier")
    return max(years)


def _dictionary(fichier: RecognisedFile, millesime: int) -> tuple[dict[str, Variable], dict[str, Variable]]:
    """(encoded dictionary of the vintage, the same completed by the `meta_*` file beside the data file)."""
    nom = fichier_du_dictionnaire(fichier)
    try:
        complete = dictionary_for(fichier.path, SOURCE_ID, millesime, nom)
    except ValueError as exc:
        raise InvalidFile(fichier.path.name, [Issue(regle=str(exc))]) from exc
    return encoded(SOURCE_ID, millesime, nom), complete


def _landed_name(col: str, m: re.Match[str], known: Variable | None) -> str:
    name = known.variable if known is not None and known.variable else f"{m.group(1)}_{m.group(3)}"
    if 2000 + int(m.group(2)) < 2017:
        name = AVANT_2017.get(name, name)
    return name


def classify(fichier: RecognisedFile, columns: list[str], millesime: int
             ) -> tuple[dict[str, str], list[str], list[str]]:
    """Published column → landed variable for the RP columns; the non-RP columns set aside; the dictionaries
    that described them (encoded, `meta_*`). Refuses a column that looks like an RP variable without being one (`P2X_POP`)."""
    encoded_dict, dictionary = _dictionary(fichier, millesime)
    renamed: dict[str, str] = {}
    hors_rp: list[str] = []
    malformed: list[str] = []
    for col in columns:
        if col in IDENTIFIANTS:
            continue
        known = dictionary.get(col)
        m = VARIABLE_RP.match(col)
        if col in encoded_dict and not encoded_dict[col].variable:
            hors_rp.append(col)  # encoded as not an RP variable (SUPERF, MED21, NAIS1521…)
        elif m:
            renamed[col] = _landed_name(col, m, encoded_dict.get(col))
        elif known is not None or not RESSEMBLE_RP.match(col):
            hors_rp.append(col)  # described by the meta file, or plainly another statistic (ETTOT21)
        else:
            malformed.append(col)
    if malformed:
        raise InvalidFile(fichier.path.name, [Issue(
            regle=("nom de colonne non conforme au recensement (attendu Pyy_… ou Cyy_… : P ou C, les deux chiffres "
                   "du millésime, « _ », la variable en majuscules, ex. P21_POP)"),
            colonne=", ".join(malformed[:5]), lignes=[1])])
    if not renamed:
        raise InvalidFile(fichier.path.name, "aucune variable Pyy_… ou Cyy_… dans le fichier")
    keys = Counter((c[1:3], v) for c, v in renamed.items())  # (two-digit vintage, landed variable)
    clash = sorted({f"{v} ({yy})" for (yy, v), n in keys.items() if n > 1})
    if clash:
        raise InvalidFile(fichier.path.name, [Issue(regle="deux colonnes publiées désignent la même variable",
                                                    colonne=", ".join(clash), lignes=[1])])
    described = [*renamed, *hors_rp]
    origines = {dictionary[c].origine for c in described if c in dictionary}
    origines |= {encoded_dict[c].origine for c in described if c in encoded_dict}
    return renamed, hors_rp, sorted(origines)


def read_recensement(fichier: RecognisedFile) -> ReadResult:
    path = fichier.path
    raw = _table(fichier)
    if "CODGEO" not in raw.columns:
        raise InvalidFile(path.name, [Issue(regle="colonne d'identifiant absente ou renommée (attendue : CODGEO)",
                                                   colonne="CODGEO", lignes=[1])])
    doubles = sorted(c for c, n in Counter(raw.columns).items() if n > 1)
    if doubles:
        raise InvalidFile(path.name, [Issue(regle="colonne en double dans l'en-tête", colonne=", ".join(doubles[:5]),
                                            lignes=[1])])
    millesime = _millesime(fichier, list(raw.columns))
    renamed, hors_rp, dictionnaires = classify(fichier, list(raw.columns), millesime)
    variables = {c: VARIABLE_RP.match(c) for c in renamed}
    years = {c: 2000 + int(m.group(2)) for c, m in variables.items()}  # type: ignore[union-attr]
    libelle = "LIBGEO" if "LIBGEO" in raw.columns else None
    landing, numbers = melt_wide(raw, niveau="commune", code="CODGEO", libelle=libelle,
                                             variables=renamed, millesime=years,
                                             periode={c: str(y) for c, y in years.items()})
    cells = raw[["CODGEO", *variables]].fillna("")
    numbers.insert(0, "CODGEO", raw["CODGEO"])
    # A sub-population never exceeds its total (RP estimates are weighted: tolerance 0.5).
    by_year_name = {(years[c], v): c for c, v in renamed.items()}
    emboitees = []
    for col, name in renamed.items():
        for part, total in EMBOITEMENTS:
            total_col = by_year_name.get((years[col], total))
            if name == part and total_col is not None:
                label = f"{total_col} − {col}"
                numbers[label] = numbers[total_col] - numbers[col]
                emboitees.append(label)
    return ReadResult(checks={"cellules": cells, "valeurs": numbers},
                   tables={"insee_recensement_valeurs": landing}, millesime=millesime,
                   info={"variables": list(variables), "colonnes_landees": renamed, "emboitees": emboitees,
                         "colonnes_non_chargees": hors_rp, "fichier_dictionnaire": fichier_du_dictionnaire(fichier),
                         "dictionnaires": dictionnaires})
