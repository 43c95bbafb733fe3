"""Helpers shared by the "besoins" readers: the long landing shape and Excel tables behind title rows.

Every needs source lands `<source_id>_valeurs` with the columns of `COLONNES_VALEURS`, one row per
territory × period × variable, `ligne` = line (or Excel row) of the value in the published file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from ingestion.errors import InvalidFile, Issue
from ingestion.readers.nombres import (
    NOMBRE,
    Nombres,
    arrow_strings,
    empiler,
    lire_nombres,
    map_stacked,
    nombres_arrow,
    ressemble_a_un_nombre,
    sans_espaces,
    to_number,
)
from ingestion.reference import CODES_NON_DISPONIBLE, CODES_SECRET

COLONNES_VALEURS = ["niveau", "code_geo", "libelle_geo", "millesime", "periode", "variable", "valeur", "statut",
                    "ligne"]
STATUTS = np.array(["invalide", "secret", "non_disponible", "ok"], dtype=object)


def statut_of_cells(values: pd.Series) -> pd.Series:
    """ok / secret / non_disponible / invalide for raw cells (blank = masked, like CAF and Filosofi 2019)."""
    raw = values.fillna("").astype(str).str.strip()
    ok = raw.str.replace("\u202f", "", regex=False).str.replace(" ", "", regex=False).str.match(NOMBRE)
    return _statuts(raw, ok.to_numpy(dtype=bool), values.index)


def _statuts(raw: pd.Series, ok: np.ndarray, index: pd.Index) -> pd.Series:
    """Labels picked by code from the stripped cells and their NOMBRE match (later rules win, as before)."""
    lowered = raw.str.lower()
    codes = np.zeros(len(raw), dtype=np.int8)
    codes[lowered.isin(CODES_SECRET).to_numpy(dtype=bool)] = 1
    codes[lowered.isin(CODES_NON_DISPONIBLE).to_numpy(dtype=bool)] = 2
    codes[ok] = 3
    return pd.Series(STATUTS[codes], index=index, dtype=object)


def parse_cells(values: pd.Series) -> tuple[Nombres, pd.Series]:
    """`to_number` of the cells as text and their `statut_of_cells`, NOMBRE matched once if already stripped."""
    texte = values.fillna("").astype(str)
    arr = arrow_strings(texte)
    if arr is None:
        return lire_nombres(texte), statut_of_cells(values)
    nombres, _, matches = nombres_arrow(arr, texte)
    raw = texte.str.strip()
    stripped = arrow_strings(raw)
    if pc.sum(pc.binary_length(stripped)).as_py() != pc.sum(pc.binary_length(arr)).as_py():
        ok = ressemble_a_un_nombre(sans_espaces(stripped), texte.index)  # stripping removed something
    else:
        ok = matches
    return nombres, _statuts(raw, ok, values.index)


def numbers_of(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: to_number(frame[c].fillna("").astype(str)) for c in columns}, index=frame.index)


def melt_wide(frame: pd.DataFrame, *, niveau: str | pd.Series, code: str, libelle: str | None,
                          variables: dict[str, str], millesime: int | dict[str, int],
                          periode: str | dict[str, str] | None,
                          extra: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Wide published table (index = file line) → long landing frame, and `numbers_of(frame,
    list(variables))` for the checks, every cell parsed once for both.

    `variables` maps published column → landed variable; `millesime`/`periode` are per file or per column.
    """
    columns = list(variables)
    keep = [code] + ([libelle] if libelle else []) + (extra or [])
    base = frame[keep].copy()
    if isinstance(niveau, pd.Series):
        base["_niveau"] = niveau
    else:
        base["_niveau"] = niveau
    long = base.join(frame[columns]).reset_index().melt(
        id_vars=["ligne", "_niveau", *keep], value_vars=columns, var_name="colonne", value_name="brut")
    valeur, statut, nombres = _valeurs(frame, columns, long)
    colonne = long["colonne"]
    out = pd.DataFrame({
        "niveau": long["_niveau"],
        "code_geo": long[code].astype(str),
        "libelle_geo": long[libelle] if libelle else None,
        "millesime": map_stacked(colonne, columns, millesime) if isinstance(millesime, dict) else millesime,
        "periode": (map_stacked(colonne, columns, periode) if isinstance(periode, dict)
                    else (periode if periode is not None else map_stacked(colonne, columns, lambda _: None))),
        "variable": map_stacked(colonne, columns, variables),
        "valeur": valeur,
        "statut": statut,
        "ligne": long["ligne"].astype("int64"),
    })
    for col in extra or []:
        out[col] = long[col]
    out["millesime"] = out["millesime"].astype("Int32")
    return out, nombres


def _valeurs(frame: pd.DataFrame, columns: list[str], long: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """The long table's `valeur` and `statut`, and the checks' numbers: column by column when possible."""
    if not _empilable(frame, columns):
        brut, statut = parse_cells(long["brut"])
        return brut.valeurs, statut, numbers_of(frame, columns)
    parts = {c: parse_cells(frame[c]) for c in columns}
    nombres = pd.DataFrame({c: n.valeurs for c, (n, _) in parts.items()}, index=frame.index)
    valeur = empiler([n for n, _ in parts.values()], long.index)
    if valeur is None:  # pandas picks the dtype of the stack (integers beyond 15 digits, exponents…)
        valeur = to_number(long["brut"].fillna("").astype(str))
    statut = pd.concat([s for _, s in parts.values()], ignore_index=True).set_axis(long.index)
    return valeur, statut, nombres


def _empilable(frame: pd.DataFrame, columns: list[str]) -> bool:
    """Whether melt's value column is exactly frame[c] for each c in turn, so columns can be parsed one by one.

    True for a unique index (the join is then 1:1, in order), unique column names (one column per name) and
    one dtype (stacking does not convert the cells).
    """
    return (frame.index.is_unique and frame.columns.is_unique and len(columns) > 0
            and len({frame[c].dtype for c in columns}) == 1)


def require_columns(path: Path, colonnes: list[str], attendues: list[str]) -> None:
    missing = [c for c in attendues if c not in colonnes]
    if missing:
        raise InvalidFile(path.name, [Issue(regle="colonne(s) attendue(s) absente(s) ou renommée(s)",
                                                   colonne=", ".join(missing), lignes=[1])])
