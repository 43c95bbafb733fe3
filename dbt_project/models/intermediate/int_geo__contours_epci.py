"""EPCI contours dissolved from their communes (no EPCI contour file needed), as GeoJSON for offline maps."""

import json

import pandas as pd
import shapely

DISPLAY_TOLERANCE_DEG = 0.002  # ≈ 200 m: EPCI maps are read at département scale
# Coordinates on a 1e-5° grid (≈ 1 m): 17-digit floats would triple the JSON every map request parses.
GRID_DEG = 0.00001

COLUMNS = ["code_epci", "libelle", "nb_communes", "departements", "geojson", "longitude", "latitude", "surface_km2", "population"]
TYPES = {"code_epci": "string", "libelle": "string", "nb_communes": "int64", "departements": "string",
         "geojson": "string", "longitude": "float64", "latitude": "float64", "surface_km2": "float64",
         "population": "int64"}


def model(dbt, session):
    dbt.config(materialized="table")
    communes = dbt.ref("int_geo__contours_communes").df()
    communes = communes[communes["code_epci"].notna() & communes["geometrie_wkb"].notna()]
    out = []
    for code, group in communes.groupby("code_epci", sort=True):
        geom = shapely.union_all([shapely.from_wkb(bytes.fromhex(w)) for w in group["geometrie_wkb"]])
        geom = shapely.simplify(geom, DISPLAY_TOLERANCE_DEG, preserve_topology=True)
        geom = shapely.set_precision(geom, GRID_DEG)
        point = geom.representative_point()
        out.append({
            "code_epci": code,
            "libelle": group["libelle_epci"].iloc[0],
            "nb_communes": len(group),
            "departements": ",".join(sorted(set(group["code_departement"]))),
            "geojson": json.dumps(shapely.geometry.mapping(geom)),
            "longitude": point.x,
            "latitude": point.y,
            "surface_km2": float(group["surface_km2"].sum()),
            "population": int(group["population"].fillna(0).sum()),
        })
    # Explicit columns: no contours loaded yet must still give a (typed, empty) table.
    return pd.DataFrame(out, columns=COLUMNS).astype(TYPES)
