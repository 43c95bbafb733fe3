"""Shared reading helpers: strict decoding, delimiter sniffing, and the `ReadResult` a reader returns."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ingestion.errors import InvalidFile, Issue
from ingestion.readers.numbers import str_series

# What str.splitlines() ends the first line on.
FIN_DE_LIGNE = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
# Line ends of a csv file: \r\n, \n, or a lone \r (old Mac exports, seen on CAF and France Travail files).
FIN_DE_LIGNE_OCTETS = re.compile(rb"\r\n?|\n")
# Python's csv refuses longer cells; Arrow would read them, the file is refused either way (see _trop_longues).
TAILLE_MAX_CELLULE = csv.field_size_limit()
# A cell of only what str.strip() removes (the characters of str.isspace()), as an RE2 pattern.
BLANC = r"^[\t-\r\x1c-\x20\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]*$"


@dataclass
class ReadResult:
    """What a reader returns.

    `checks` are the frames Great Expectations validates (index = line number in the file);
    `tables` are the landing entities (name → frame) written to Parquet once validation passed.
    """

    checks: dict[str, pd.DataFrame]
    tables: dict[str, pd.DataFrame]
    millesime: int | None = None
    geo_millesime: int | None = None
    info: dict[str, object] = field(default_factory=dict)


def decode_utf8(path: Path) -> str:
    """Decode strictly as UTF-8 (BOM allowed); a Latin-1 file is refused with the offending line."""
    data = path.read_bytes()
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise InvalidFile(path.name, "le fichier est vide")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = len(FIN_DE_LIGNE_OCTETS.findall(data, 0, exc.start)) + 1
        raise InvalidFile(path.name, [Issue(
            regle=(f"encodage non UTF-8 (octet 0x{data[exc.start]:02x}, probablement Latin-1 / Windows-1252) ; "
                   "réenregistrez le fichier en UTF-8"),
            lignes=[line])]) from None


def read_delimited(path: Path, text: str | None = None) -> pd.DataFrame:
    """Read a delimited text file as strings; index = line number in the file (header = line 1)."""
    text = decode_utf8(path) if text is None else text
    end = FIN_DE_LIGNE.search(text)
    header = text[: end.start()] if end else text
    sep = max([";", ",", "\t", "|"], key=header.count)
    if header.count(sep) == 0:
        raise InvalidFile(path.name, "séparateur de colonnes introuvable dans l'en-tête (attendu « ; » ou « , »)")
    columns, kept, cells = _cellules_arrow(path, text, sep) or _cellules_csv(path, text, sep)
    index = pd.Index(np.asarray(kept, dtype=np.int64) + 1, name="ligne")
    data = {i: str_series(values, index).str.strip() for i, values in enumerate(cells)}
    frame = pd.DataFrame(data, index=index)
    frame.columns = pd.Index(columns)  # may hold duplicates, hence the positional keys above
    return frame


Colonnes = tuple[list[str], list[int], list[pa.Array | pa.ChunkedArray]]  # header, kept records, cells


def _cellules_csv(path: Path, text: str, sep: str) -> Colonnes:
    """Python's csv module: the reference, and the one that reports malformed files.

    `newline=""`: records end at \r\n, \n or a lone \r, as the csv module documents, and line breaks inside
    quoted cells are kept."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    rows = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as exc:
        regle = (f"cellule de plus de {TAILLE_MAX_CELLULE:,} caractères".replace(",", " ")
                 + " : guillemet non refermé ou fichier corrompu" if "field larger" in str(exc)
                 else f"fichier CSV mal formé ({exc})")
        raise InvalidFile(path.name, [Issue(regle=regle, lignes=[reader.line_num])]) from None
    columns = [c.strip() for c in rows[0]]
    kept = [i for i in range(1, len(rows)) if any(map(str.strip, rows[i]))]  # blank lines are skipped
    if not kept:
        raise InvalidFile(path.name, "le fichier ne contient qu'un en-tête, aucune ligne de données")
    bad = [i + 1 for i in kept if len(rows[i]) != len(columns)]
    if bad:
        raise InvalidFile(path.name, [Issue(
            regle=(f"nombre de champs différent de l'en-tête ({len(columns)} colonnes) : "
                   "fichier tronqué ou séparateur incohérent"), lignes=bad, nb=len(bad))])
    body = rows[1:] if len(kept) == len(rows) - 1 else [rows[i] for i in kept]
    return columns, kept, [pa.array(values, type=pa.large_string()) for values in zip(*body, strict=True)]


def _cellules_arrow(path: Path, text: str, sep: str) -> Colonnes | None:
    """The same records read by Arrow's CSV parser, 4x faster; None where it might differ from Python's csv."""
    table = _table_arrow(text, sep)
    if table is None:
        return None
    _trop_longues(path, table)
    columns = [c.strip() for c in table.slice(0, 1).to_pylist()[0].values()]
    blank = set(_lignes_blanches(table))
    kept = [i for i in range(1, table.num_rows) if i not in blank]
    if not kept:
        return None  # header only: Python's path says so
    body = table.take(kept) if blank else table.slice(1)
    return columns, kept, body.columns


def _table_arrow(text: str, sep: str) -> pa.Table | None:
    """Every record as strings, header included (row 0); None when Python's csv must read the file.

    Both parsers agree record for record on the files Arrow accepts (line ends \r\n, \n or a lone \r, line
    breaks inside quoted cells), apart from fields over csv.field_size_limit() (refused) and a second BOM
    (kept by Python); ragged rows and the like make Arrow fail: Python's csv then explains the refusal.
    """
    if text.startswith("\ufeff"):  # a second BOM: kept in the first header cell by Python's csv
        return None
    data = text.encode("utf-8")
    try:
        width = len(next(csv.reader(io.StringIO(text), delimiter=sep)))
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(use_threads=False, autogenerate_column_names=True,
                                           block_size=min(len(data) + 1, 1 << 30)),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={f"f{i}": pa.large_string() for i in range(width)},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (csv.Error, pa.ArrowException):
        return None
    if table.num_columns != width or table.num_rows == 0:
        return None
    return table


def _trop_longues(path: Path, table: pa.Table) -> None:
    """Refuse cells over TAILLE_MAX_CELLULE characters, naming column and record (as Python's csv would fail)."""
    header = table.slice(0, 1).to_pylist()[0]
    anomalies = []
    for name, column in zip(header.values(), table.columns, strict=True):
        if pc.max(pc.binary_length(column)).as_py() <= TAILLE_MAX_CELLULE:  # bytes ≥ characters: most columns
            continue
        rows = np.flatnonzero(pc.greater(pc.utf8_length(column), TAILLE_MAX_CELLULE).to_numpy(zero_copy_only=False))
        if len(rows):
            anomalies.append(Issue(
                regle=f"cellule de plus de {TAILLE_MAX_CELLULE:,} caractères".replace(",", " ")
                      + " : guillemet non refermé, colonnes fusionnées ou fichier corrompu",
                colonne=str(name).strip(), lignes=[int(i) + 1 for i in rows[:10]], nb=len(rows)))
    if anomalies:
        raise InvalidFile(path.name, anomalies)


def _lignes_blanches(table: pa.Table) -> list[int]:
    """Records whose cells are all whitespace (skipped); a blank record has a blank first cell."""
    first = pc.match_substring_regex(table.column(0), BLANC).to_numpy(zero_copy_only=False)
    return [i for i in np.flatnonzero(first[1:]) + 1
            if not any(map(str.strip, table.slice(i, 1).to_pylist()[0].values()))]
