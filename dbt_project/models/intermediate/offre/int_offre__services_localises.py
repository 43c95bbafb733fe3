"""Locate every service on a commune of the chosen COG vintage: its published code (old codes go through
the passage table), else the commune polygon containing its coordinates (shapely STRtree: DuckDB has no
spatial extension here). Services without code nor coordinates, or outside the diagnostic perimeter,
stay unlocated (localisation = 'non_localise') and are counted, not dropped."""

import pandas as pd
import shapely

COLUMNS = ["service_id", "source_id", "structure_id", "nom", "code_commune", "code_epci", "code_departement",
           "latitude", "longitude", "a_distance", "zone_eligibilite", "localisation", "donnees_synthetiques"]


def model(dbt, session):
    dbt.config(materialized="table")
    services = dbt.ref("int_offre__services").df()
    communes = dbt.ref("int_geo__contours_communes").df()
    geo = dbt.ref("int_geo__communes_epci").df().set_index("code_commune")
    passage = dict(dbt.ref("int_geo__passage_courant").fetchall())

    located = communes[communes["geometrie_wkb"].notna()].reset_index(drop=True)
    polygons = [shapely.from_wkb(bytes.fromhex(w)) for w in located["geometrie_wkb"]]
    tree = shapely.STRtree(polygons)  # empty when no contours are loaded: coordinates then locate nothing
    points_by_code = communes.set_index("code_commune")[["latitude", "longitude"]]

    rows = []
    for s in services.itertuples(index=False):
        code, how = None, "non_localise"
        if isinstance(s.code_commune, str) and s.code_commune:
            code = s.code_commune if s.code_commune in geo.index else passage.get(s.code_commune)
            how = "code_insee" if code else how
        if code is None and pd.notna(s.latitude) and pd.notna(s.longitude):
            hits = tree.query(shapely.Point(s.longitude, s.latitude), predicate="intersects")
            if len(hits):
                code, how = located.loc[int(hits[0]), "code_commune"], "coordonnees"
        lat, lon = s.latitude, s.longitude
        if code is not None and (pd.isna(lat) or pd.isna(lon)) and code in points_by_code.index:
            lat, lon = points_by_code.loc[code, ["latitude", "longitude"]]  # commune's representative point
        info = geo.loc[code] if code is not None and code in geo.index else None
        rows.append({
            "service_id": s.service_id, "source_id": s.source_id, "structure_id": s.structure_id, "nom": s.nom,
            "code_commune": code, "code_epci": None if info is None else info["code_epci"],
            "code_departement": None if info is None else info["code_departement"],
            "latitude": lat, "longitude": lon, "a_distance": bool(s.a_distance),
            "zone_eligibilite": s.zone_eligibilite, "localisation": how,
            "donnees_synthetiques": bool(s.donnees_synthetiques),
        })
    return pd.DataFrame(rows, columns=COLUMNS).astype({
        "service_id": "string", "source_id": "string", "structure_id": "string", "nom": "string",
        "code_commune": "string", "code_epci": "string", "code_departement": "string", "latitude": "float64",
        "longitude": "float64", "a_distance": "bool", "zone_eligibilite": "string", "localisation": "string",
        "donnees_synthetiques": "bool"})
