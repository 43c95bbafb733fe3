"""Published numbers and their statut, parsed with pandas' exact results but mostly in Arrow.

pandas' `to_numeric` and `Series.map` handle one Python object per cell, about 1 s per million cells;
here Arrow does the common cases and pandas only the rare ones, with the same values and dtypes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.reference import STATUT_OF_CODE

# Cells publishers use instead of a number (blank cells mean "secret" in Filosofi 2019 files).
STATUT_DES_CODES = STATUT_OF_CODE
NOMBRE = re.compile(r"^-?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?$")
# pandas' default string dtype (Arrow storage, NaN for missing), that of read_delimited's columns.
STR_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)
# Plain ASCII numbers of at most 15 digits: pandas divides an exact integer once by an exact power of ten,
# Arrow rounds correctly; both give the nearest double, so Arrow may parse them in pandas' stead.
NOMBRE_SUR = r"^-?[0-9]+(?:\.[0-9]+)?$"
CHIFFRES_SURS = 15
INT64, FLOAT64 = np.dtype("int64"), np.dtype("float64")


@dataclass(frozen=True)
class Nombres:
    """A column's `to_number`, with the cells it parsed: stacking columns may need them again as floats."""

    valeurs: pd.Series
    cellules: pa.Array | None = None  # number-looking cells, comma as dot, others null; None: parsed by pandas


def str_series(values: pa.Array | pa.ChunkedArray, index: pd.Index, name: object = None) -> pd.Series:
    """Arrow strings as a Series of pandas' default string dtype, without a copy."""
    return pd.Series(pd.array(values, dtype=STR_DTYPE), index=index, name=name, copy=False)


def arrow_strings(values: object) -> pa.Array | None:
    """The Arrow data behind a default-string Series; None for anything else, which takes the pandas path."""
    if not isinstance(values, pd.Series) or values.dtype != STR_DTYPE:
        return None
    arr = pa.array(values.array)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def to_number(values: pd.Series) -> pd.Series:
    """Parse published numbers (comma or dot decimals); codes and junk become NaN."""
    return lire_nombres(values).valeurs


def lire_nombres(values: pd.Series) -> Nombres:
    """`to_number(values)`, with the cells parsed when on the Arrow path."""
    arr = arrow_strings(values)
    if arr is None:
        cleaned = values.str.replace("\u202f", "", regex=False).str.replace(" ", "", regex=False)
        cleaned = cleaned.where(cleaned.str.match(NOMBRE), None).str.replace(",", ".", regex=False)
        return Nombres(pd.to_numeric(cleaned, errors="coerce"))
    return nombres_arrow(arr, values)[0]


def sans_espaces(arr: pa.Array) -> pa.Array:
    """Cells without (narrow no-break) spaces, French thousands separators; `arr` itself when there are none."""
    for space in ("\u202f", " "):
        if pc.any(pc.match_substring(arr, space)).as_py():
            arr = pc.replace_substring(arr, space, "")
    return arr


def ressemble_a_un_nombre(arr: pa.Array, index: pd.Index) -> np.ndarray:
    """Cells matching NOMBRE, through pandas: it keeps Python's meaning of \\d and $, which RE2 lacks."""
    return str_series(arr, index).str.match(NOMBRE).to_numpy(dtype=bool)


def nombres_arrow(arr: pa.Array, values: pd.Series) -> tuple[Nombres, pa.Array, np.ndarray]:
    """`to_number(values)` from their Arrow cells `arr`, with the space-free cells and their NOMBRE match."""
    cleaned = sans_espaces(arr)
    matches = ressemble_a_un_nombre(cleaned, values.index)
    kept = pc.replace_substring(pc.if_else(matches, cleaned, None), ",", ".")
    return Nombres(to_numeric(str_series(kept, values.index, values.name)), kept), cleaned, matches


def to_numeric(values: pd.Series) -> pd.Series:
    """`pd.to_numeric(values, errors="coerce")`, about 5x faster on default-string Series."""
    arr = arrow_strings(values)
    parsed = None if arr is None else _arrow_numbers(arr)
    if parsed is None:
        return pd.to_numeric(values, errors="coerce")
    return pd.Series(parsed, index=values.index, name=values.name)


def _arrow_numbers(cells: pa.Array) -> np.ndarray | None:
    """What `pd.to_numeric(cells, errors="coerce")` returns; None when pandas must pick the dtype.

    pandas' rule: int64 when every cell is an integer, float64 as soon as one is missing or decimal.
    """
    if len(cells) == 0:
        return None
    safe, decimal = _surs(cells)
    if cells.null_count == 0 and safe.all() and not decimal.any():
        return pc.cast(cells, pa.int64()).to_numpy(zero_copy_only=False, writable=True)
    if not (cells.null_count or (safe & decimal).any()):
        return None  # integers beyond 15 digits, exponents, non-ASCII digits: int64, uint64 or float64
    return _floats(cells, safe)


def _surs(cells: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Cells Arrow parses exactly as pandas does (NOMBRE_SUR), and cells with a decimal point."""
    dots = pc.count_substring(cells, ".")
    digits = pc.subtract(pc.subtract(pc.binary_length(cells), pc.cast(pc.starts_with(cells, "-"), pa.int32())), dots)
    safe = pc.and_kleene(pc.match_substring_regex(cells, NOMBRE_SUR), pc.less_equal(digits, CHIFFRES_SURS))
    return (safe.fill_null(False).to_numpy(zero_copy_only=False),
            pc.greater(dots, 0).fill_null(False).to_numpy(zero_copy_only=False))


def _floats(cells: pa.Array, safe: np.ndarray | None = None) -> np.ndarray:
    """Every cell as pandas parses it into a float64 column (NaN where missing or unreadable)."""
    if safe is None:
        safe = _surs(cells)[0]
    values = pc.cast(pc.if_else(safe, cells, None), pa.float64()).to_numpy(zero_copy_only=False, writable=True)
    others = np.flatnonzero(~safe & pc.is_valid(cells).to_numpy(zero_copy_only=False))
    if len(others):
        # Parsed by pandas, with a NaN appended so that it returns floats as it would for the whole column.
        rest = np.array([*cells.take(others).to_pylist(), np.nan], dtype=object)
        values[others] = pd.to_numeric(rest, errors="coerce")[:-1]
    return values


def empiler(parts: list[Nombres], index: pd.Index) -> pd.Series | None:
    """`to_number` of the parts' cells stacked one part after the other (melt's layout), without parsing again.

    pandas' rule on the stack: int64 when every part is int64; float64 as soon as one part is (the cell that
    made it float is in the stack), integer cells then parsed as floats. None when pandas must decide.
    """
    dtypes = {p.valeurs.dtype for p in parts}
    if not parts or any(p.cellules is None for p in parts) or not dtypes <= {INT64, FLOAT64}:
        return None
    if dtypes == {INT64}:
        return pd.Series(np.concatenate([p.valeurs.to_numpy() for p in parts]), index=index)
    # An int64 part as floats: parsed again rather than cast, for "-0" (-0.0) and integers beyond 2**53.
    floats = [p.valeurs.to_numpy() if p.valeurs.dtype == FLOAT64 else _floats(p.cellules) for p in parts]
    return pd.Series(np.concatenate(floats), index=index)


def statut_of(values: pd.Series) -> pd.Series:
    arr = arrow_strings(values)
    if arr is None:
        lowered = values.str.lower()
        return lowered.map(STATUT_DES_CODES).where(~values.str.match(NOMBRE), "ok").fillna("invalide")
    return _statuts(values, ressemble_a_un_nombre(arr, values.index))


def _statuts(values: pd.Series, matches: np.ndarray) -> pd.Series:
    """statut_of from the cells' NOMBRE match; codes looked up in Arrow rather than one dict lookup per cell."""
    labels = pa.array([*STATUT_DES_CODES.values(), "invalide", "ok"], type=pa.large_string())
    codes = pc.index_in(pa.array(values.str.lower().array), value_set=pa.array(list(STATUT_DES_CODES)))
    codes = codes.fill_null(len(STATUT_DES_CODES)).to_numpy(zero_copy_only=False).astype(np.int32)
    codes[matches] = len(STATUT_DES_CODES) + 1
    return str_series(labels.take(codes), values.index, values.name)


def nombres_et_statuts(values: pd.Series) -> tuple[Nombres, pd.Series]:
    """`to_number` and `statut_of` of the same cells, NOMBRE matched once when no cell holds a space."""
    arr = arrow_strings(values)
    if arr is None:
        return lire_nombres(values), statut_of(values)
    nombres, cleaned, matches = nombres_arrow(arr, values)
    raw_matches = matches if cleaned is arr else ressemble_a_un_nombre(arr, values.index)
    return nombres, _statuts(values, raw_matches)


def map_stacked(stacked: pd.Series, columns: list[str], mapping: object) -> pd.Series:
    """`stacked.map(mapping)` for melt's `var_name` column: each of `columns` repeated, in order.

    Maps the few column names then repeats the result (same values and dtype) instead of a lookup per
    cell; checked against `stacked`, which is mapped cell by cell if it is not laid out that way.
    """
    arr = arrow_strings(stacked)
    if (arr is None or not columns or not all(isinstance(c, str) for c in columns) or len(stacked) == 0
            or len(stacked) % len(columns)):
        return stacked.map(mapping)
    positions = np.repeat(np.arange(len(columns)), len(stacked) // len(columns))
    if not pc.all(pc.equal(arr, pa.array(columns, type=arr.type).take(positions)), skip_nulls=False).as_py():
        return stacked.map(mapping)
    small = pd.Series(columns, dtype=stacked.dtype).map(mapping)
    return small.take(positions).set_axis(stacked.index).rename(stacked.name)
