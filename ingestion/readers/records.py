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
    if _chaine_longue_possible(text):
        _trop_longues(path, data, lines)
    frame = pd.DataFrame(data, index=lines)
    frame.index.name = "ligne"
    return frame


def _chaine_longue_possible(text: str) -> bool:
    """False when no JSON string of the text can exceed TAILLE_MAX_CELLULE characters: every string lies between two
    quotes that no backslash precedes, and no two such quotes are that far apart (in bytes, ≥ characters). Vectorised
    over the bytes, 16 MB at a time: the exact scan of every value (seconds on a national export) only runs on a
    suspect file."""
    if len(text) <= TAILLE_MAX_CELLULE:
        return False
    import numpy as np

    octets = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    precedent = -1  # position of the last unescaped quote seen
    for debut in range(0, len(octets), 1 << 24):
        bloc = octets[debut:debut + (1 << 24)]
        avant = octets[debut - 1:debut + len(bloc) - 1] if debut else np.concatenate(([0], bloc[:-1]))
        guillemets = np.flatnonzero((bloc == ord('"')) & (avant != ord("\\"))) + debut
        if len(guillemets) == 0:
            if debut + len(bloc) - precedent > TAILLE_MAX_CELLULE:
                return True
            continue
        ecarts = np.diff(guillemets, prepend=precedent if precedent >= 0 else guillemets[0])
        if ecarts.max() > TAILLE_MAX_CELLULE:
            return True
        precedent = int(guillemets[-1])
    return False


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
