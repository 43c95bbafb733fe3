"""Shared reading helpers: strict decoding, delimiter sniffing, and the `Lecture` a reader returns."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ingestion.errors import Anomalie, FichierInvalide

# Cells INSEE uses instead of a number. Blank cells mean "secret" in Filosofi 2019 files.
STATUT_DES_CODES = {"s": "secret", "ns": "secret", "": "secret", "nd": "non_disponible", "so": "non_disponible"}
NOMBRE = re.compile(r"^-?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?$")


@dataclass
class Lecture:
    """What a reader returns.

    `controles` are the frames Great Expectations validates (index = line number in the file);
    `tables` are the landing entities (name → frame) written to Parquet once validation passed.
    """

    controles: dict[str, pd.DataFrame]
    tables: dict[str, pd.DataFrame]
    millesime: int | None = None
    geo_millesime: int | None = None
    infos: dict[str, object] = field(default_factory=dict)


def decode_utf8(path: Path) -> str:
    """Decode strictly as UTF-8 (BOM allowed); a Latin-1 file is refused with the offending line."""
    data = path.read_bytes()
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise FichierInvalide(path.name, "le fichier est vide")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FichierInvalide(path.name, [Anomalie(
            regle=(f"encodage non UTF-8 (octet 0x{data[exc.start]:02x}, probablement Latin-1 / Windows-1252) ; "
                   "réenregistrez le fichier en UTF-8"),
            lignes=[line])]) from None


def read_delimited(path: Path, text: str | None = None) -> pd.DataFrame:
    """Read a delimited text file as strings; index = line number in the file (header = line 1)."""
    text = decode_utf8(path) if text is None else text
    lines = text.splitlines()
    header = lines[0]
    sep = max([";", ",", "\t", "|"], key=header.count)
    if header.count(sep) == 0:
        raise FichierInvalide(path.name, "séparateur de colonnes introuvable dans l'en-tête (attendu « ; » ou « , »)")
    rows = list(csv.reader(io.StringIO(text), delimiter=sep))
    columns = [c.strip() for c in rows[0]]
    body = [(i + 1, r) for i, r in enumerate(rows) if i > 0 and any(cell.strip() for cell in r)]
    if not body:
        raise FichierInvalide(path.name, "le fichier ne contient qu'un en-tête, aucune ligne de données")
    bad = [n for n, r in body if len(r) != len(columns)]
    if bad:
        raise FichierInvalide(path.name, [Anomalie(
            regle=(f"nombre de champs différent de l'en-tête ({len(columns)} colonnes) : "
                   "fichier tronqué ou séparateur incohérent"), lignes=bad, nb=len(bad))])
    frame = pd.DataFrame([r for _, r in body], columns=columns, index=[n for n, _ in body], dtype=str)
    frame.index.name = "ligne"
    return frame.apply(lambda s: s.str.strip())


def to_number(values: pd.Series) -> pd.Series:
    """Parse published numbers (comma or dot decimals); codes and junk become NaN."""
    cleaned = values.str.replace("\u202f", "", regex=False).str.replace(" ", "", regex=False)
    cleaned = cleaned.where(cleaned.str.match(NOMBRE), None).str.replace(",", ".", regex=False)
    return pd.to_numeric(cleaned, errors="coerce")


def statut_of(values: pd.Series) -> pd.Series:
    lowered = values.str.lower()
    return lowered.map(STATUT_DES_CODES).where(~values.str.match(NOMBRE), "ok").fillna("invalide")
