"""Published numbers and their statut: one function, in Arrow.

A cell is a number when, once its spaces are removed (French thousands separators), it reads as
`ingestion.reference.NOMBRE` (optional minus, digits, decimal comma or dot, exponent): it becomes a double.
Any other cell is NULL, with the statut its code says (`secret`, `non_disponible`: `ingestion.reference`),
else `invalide`. Landing casts every value to its declared type (DOUBLE), so no integer/float choice is made here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.reference import INVALIDE, NOMBRE, OK, STATUT_OF_CODE, THOUSANDS_SEPARATORS

# pandas' default string dtype (Arrow storage, NaN for missing), that of read_delimited's columns.
STR_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)
_CODES = pa.array(list(STATUT_OF_CODE), type=pa.large_string())
_LABELS = pa.array([*STATUT_OF_CODE.values(), INVALIDE, OK], type=pa.large_string())


@dataclass(frozen=True)
class ParsedNumbers:
    values: pd.Series  # float64, NaN where the cell is not a number
    statut: pd.Series  # ok / secret / non_disponible / invalide


def str_series(values: pa.Array | pa.ChunkedArray, index: pd.Index, name: object = None) -> pd.Series:
    """Arrow strings as a Series of pandas' default string dtype, without a copy."""
    return pd.Series(pd.array(values, dtype=STR_DTYPE), index=index, name=name, copy=False)


def _cells(values: pd.Series) -> pa.Array:
    """The cells as Arrow text, missing ones as empty text (a blank cell)."""
    arr = pa.array(values.astype(STR_DTYPE).array)
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    return pc.fill_null(arr.cast(pa.large_string()), "")


def parse_numbers(values: pd.Series) -> ParsedNumbers:
    """Each cell's number (comma or dot decimals, spaces as thousands separators) and statut."""
    cells = _cells(values)
    digits = cells
    for space in THOUSANDS_SEPARATORS:
        digits = pc.replace_substring(digits, space, "")
    is_number = pc.match_substring_regex(digits, f"^{NOMBRE}$")
    numbers = pc.cast(pc.replace_substring(pc.if_else(is_number, digits, None), ",", "."), pa.float64())
    codes = pc.index_in(pc.utf8_lower(pc.utf8_trim_whitespace(cells)), value_set=_CODES)
    codes = pc.if_else(is_number, len(STATUT_OF_CODE) + 1, pc.fill_null(codes, len(STATUT_OF_CODE)))
    return ParsedNumbers(
        values=pd.Series(numbers.to_numpy(zero_copy_only=False), index=values.index, name=values.name),
        statut=str_series(_LABELS.take(codes), values.index, values.name))


def to_number(values: pd.Series) -> pd.Series:
    """The numbers of `parse_numbers`, for cells whose statut is not wanted (years, quality flags)."""
    return parse_numbers(values).values
