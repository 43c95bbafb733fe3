"""The long landing shape shared by the "besoins" readers.

Every needs source lands `<source_id>_valeurs` with the columns of `COLONNES_VALEURS`, one row per
territory × period × variable, `ligne` = line (or Excel row) of the value in the published file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ingestion.errors import InvalidFile, Issue
from ingestion.readers.numbers import parse_numbers

COLONNES_VALEURS = ["niveau", "code_geo", "libelle_geo", "millesime", "periode", "variable", "valeur", "statut",
                    "ligne"]


def melt_wide(frame: pd.DataFrame, *, niveau: str | pd.Series, code: str, libelle: str | None,
              variables: dict[str, str], millesime: int | dict[str, int], periode: str | dict[str, str] | None,
              extra: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Wide published table (index = file line) → long landing frame (the columns stacked one after the
    other, as `DataFrame.melt`), and the parsed numbers of the wide table for the checks.

    `variables` maps published column → landed variable; `millesime`/`periode` are per file or per column.
    Each cell is parsed once (`parse_numbers`), for both.
    """
    columns = list(variables)
    parsed = {c: parse_numbers(frame[c]) for c in columns}
    n = len(frame)

    def stacked(part: Callable[[str], pd.Series]) -> np.ndarray:  # one block of n rows per column
        return np.concatenate([part(c).to_numpy() for c in columns]) if columns else np.array([])

    def per_column(value: object) -> object:  # one value per column, repeated over its block
        if not isinstance(value, dict):
            return value
        return np.repeat(np.array([value[c] for c in columns], dtype=object), n)

    def repeated(values: pd.Series) -> np.ndarray:  # the same n values in every block
        return np.tile(values.to_numpy(), len(columns))

    out = pd.DataFrame({
        "niveau": repeated(niveau.reindex(frame.index)) if isinstance(niveau, pd.Series) else niveau,
        "code_geo": repeated(frame[code].astype(str)),
        "libelle_geo": repeated(frame[libelle]) if libelle else None,
        "millesime": per_column(millesime),
        "periode": per_column(periode),
        "variable": per_column(variables),
        "valeur": stacked(lambda c: parsed[c].values),
        "statut": stacked(lambda c: parsed[c].statut),
        "ligne": repeated(pd.Series(frame.index, dtype="int64")),
    }, index=pd.RangeIndex(n * len(columns)))
    for col in extra or []:
        out[col] = repeated(frame[col])
    out["millesime"] = out["millesime"].astype("Int32")
    numbers = pd.DataFrame({c: parsed[c].values for c in columns}, index=frame.index)
    return out, numbers


def require_columns(path: Path, colonnes: list[str], attendues: list[str]) -> None:
    missing = [c for c in attendues if c not in colonnes]
    if missing:
        raise InvalidFile(path.name, [Issue(regle="colonne(s) attendue(s) absente(s) ou renommée(s)",
                                            colonne=", ".join(missing), lignes=[1])])
