"""Commune contours of the diagnostic perimeter as GeoJSON (a commune merged since the contours vintage
gets the union of its former communes' polygons). dbt Python model: DuckDB has no spatial extension here
(extensions cannot be downloaded), so shapely does the geometry."""

import json

import pandas as pd
import shapely

COLUMNS = ["code_commune", "libelle", "code_epci", "libelle_epci", "code_departement", "population", "nb_contours",
           "geometrie_wkb", "geojson", "longitude", "latitude", "surface_km2"]
TYPES = {"code_commune": "string", "libelle": "string", "code_epci": "string", "libelle_epci": "string",
         "code_departement": "string", "population": "Int64", "nb_contours": "int64", "geometrie_wkb": "string",
         "geojson": "string", "longitude": "float64", "latitude": "float64", "surface_km2": "float64"}


def model(dbt, session):
    dbt.config(materialized="table")
    rows = dbt.ref("int_geo__communes_diagnostic").df()
    out = []
    for code, group in rows.groupby("code_commune", sort=True):
        parts = [shapely.from_wkb(bytes.fromhex(w)) for w in group["geometrie_wkb"] if isinstance(w, str)]
        first = group.iloc[0]
        geom = shapely.union_all(parts) if parts else None
        point = geom.representative_point() if geom is not None and not geom.is_empty else None
        out.append({
            "code_commune": code,
            "libelle": first["libelle"],
            "code_epci": first["code_epci"],
            "libelle_epci": first["libelle_epci"],
            "code_departement": first["code_departement"],
            "population": first["population"],
            "nb_contours": len(parts),
            "geometrie_wkb": shapely.to_wkb(geom, hex=True) if geom is not None else None,
            "geojson": json.dumps(shapely.geometry.mapping(geom)) if geom is not None else None,
            "longitude": point.x if point is not None else None,
            "latitude": point.y if point is not None else None,
            "surface_km2": float(group["surface_km2"].sum()),
        })
    # Explicit columns: no contours loaded yet must still give a (typed, empty) table.
    return pd.DataFrame(out, columns=COLUMNS).astype(TYPES)
