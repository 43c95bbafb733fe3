"""Commune contours of the diagnostic perimeter as GeoJSON (a commune merged since the contours vintage
gets the union of its former communes' polygons). dbt Python model: DuckDB has no spatial extension here
(extensions cannot be downloaded), so shapely does the geometry — on whole arrays: a loop over 35,000 communes
cost 9 s of an all-France build."""

import json

import numpy as np
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
    rows = rows.assign(geom=shapely.from_wkb(np.array(
        [w if isinstance(w, str) else None for w in rows["geometrie_wkb"]], dtype=object)))
    # One row per commune, attributes from its first row (as listed), in code order.
    communes = rows.drop_duplicates("code_commune").set_index("code_commune").sort_index()
    parts = rows[shapely.is_geometry(rows["geom"].to_numpy())]
    nb_contours = parts.groupby("code_commune").size().reindex(communes.index, fill_value=0)
    # A commune's contour is the union of its parts (a single part goes through the union too, as GEOS may
    # normalise it: one rule for every commune).
    unions = parts.groupby("code_commune")["geom"].agg(lambda g: shapely.union_all(g.to_numpy()))
    geoms = unions.reindex(communes.index).to_numpy()
    geoms = np.array([g if shapely.is_geometry(g) else None for g in geoms], dtype=object)
    points = shapely.point_on_surface(geoms)
    vides = shapely.is_empty(geoms)
    points[vides] = None
    out = pd.DataFrame({
        "code_commune": communes.index,
        "libelle": communes["libelle"].to_numpy(),
        "code_epci": communes["code_epci"].to_numpy(),
        "libelle_epci": communes["libelle_epci"].to_numpy(),
        "code_departement": communes["code_departement"].to_numpy(),
        "population": communes["population"].to_numpy(),
        "nb_contours": nb_contours.to_numpy(),
        "geometrie_wkb": shapely.to_wkb(geoms, hex=True),
        "geojson": [json.dumps(shapely.geometry.mapping(g)) if g is not None else None for g in geoms],
        "longitude": shapely.get_x(points),
        "latitude": shapely.get_y(points),
        "surface_km2": rows.groupby("code_commune")["surface_km2"].sum().reindex(communes.index).to_numpy(dtype=float),
    })
    # Explicit columns: no contours loaded yet must still give a (typed, empty) table.
    return out.reindex(columns=COLUMNS).astype(TYPES)
