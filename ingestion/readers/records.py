"""Reading helpers for offer exports: JSON arrays with the file line of each record, list-valued cells."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from ingestion.errors import InvalidFile, Issue
from ingestion.readers.common import TAILLE_MAX_CELLULE, decode_utf8, read_delimited


def _record_lines(text: str) -> list[int]:
    """Line number where each top-level object of a JSON array starts (strings and nesting are skipped)."""
    lines: list[int] = []
    depth, line, in_string, escaped = 0, 1, False, False
    for ch in text:
        if ch == "\n":
            line += 1
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "[{":
            if depth == 1 and ch == "{":
                lines.append(line)
            depth += 1
        elif ch in "]}":
            depth -= 1
    return lines


def read_json_records(path: Path) -> pd.DataFrame:
    """A JSON array of objects → one row per object, index = line where the object starts."""
    text = decode_utf8(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidFile(path.name, [Issue(
            regle=f"JSON invalide ({exc.msg}) : fichier tronqué ou mal formé", lignes=[exc.lineno])]) from None
    if not isinstance(data, list) or not all(isinstance(o, dict) for o in data):
        raise InvalidFile(path.name, "le fichier JSON doit contenir un tableau d'objets ([{…}, {…}])")
    if not data:
        raise InvalidFile(path.name, "le fichier ne contient aucun enregistrement (tableau vide)")
    lines = _record_lines(text)
    if len(lines) != len(data):  # one-line arrays or unusual layouts: fall back to record numbers
        lines = list(range(1, len(data) + 1))
    if len(text) > TAILLE_MAX_CELLULE:  # no string can be longer than the whole file: most files skip the scan
        _trop_longues(path, data, lines)
    frame = pd.DataFrame(data, index=lines)
    frame.index.name = "ligne"
    return frame


def _longueur_max(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return max((_longueur_max(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return max((_longueur_max(v) for v in value), default=0)
    return 0


def _trop_longues(path: Path, data: list[dict[str, Any]], lines: list[int]) -> None:
    """Refuse values over TAILLE_MAX_CELLULE characters (as the csv readers do), naming key and record line."""
    par_cle: dict[str, list[int]] = {}
    for record, line in zip(data, lines, strict=True):
        for key, value in record.items():
            if _longueur_max(value) > TAILLE_MAX_CELLULE:
                par_cle.setdefault(str(key), []).append(line)
    if par_cle:
        raise InvalidFile(path.name, [Issue(
            regle=f"cellule de plus de {TAILLE_MAX_CELLULE:,} caractères".replace(",", " ")
                  + " : texte démesuré ou fichier corrompu", colonne=key, lignes=found, nb=len(found))
            for key, found in par_cle.items()])


def read_csv_records(path: Path) -> pd.DataFrame:
    frame = read_delimited(path)
    return frame.replace({"": None})


def as_list(value: Any) -> list[str]:
    """A list cell in any published form: JSON list, JSON string of a list, Postgres `{a,b}` or `a|b`."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    text = str(value).strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, list):
            return [str(v).strip() for v in parsed if v is not None and str(v).strip()]
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
        return [v.strip().strip('"') for v in text.split(",") if v.strip()]
    return [v.strip() for v in re.split(r"[|]", text) if v.strip()]


def text_or_none(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def number_or_none(value: Any) -> float | None:
    text = text_or_none(value)
    if text is None:
        return None
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return float("nan")  # kept as NaN: GX reports the line as out of range via the raw column


def explode(frame: pd.DataFrame, column: str, values: pd.Series) -> pd.DataFrame:
    """One row per list item, index = line of the record (for GX line numbers)."""
    pairs = [(idx, v) for idx, items in values.items() for v in items]
    out = pd.DataFrame({column: [v for _, v in pairs]}, index=[i for i, _ in pairs], dtype=object)
    out.index.name = "ligne"
    return out
