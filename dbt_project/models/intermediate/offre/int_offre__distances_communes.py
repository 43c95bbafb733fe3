"""Distance (km, great circle) from each commune of the diagnostic perimeter — its representative point —
to the nearest in-person service of each v1 thématique and each category. Straight-line distance: the
INSEE method uses road times (distancier), not available offline here; say so wherever it is shown."""

import numpy as np
import pandas as pd

EARTH_KM = 6371.0088
COLUMNS = ["code_commune", "niveau_thematique", "thematique", "distance_km"]
TYPES = {"code_commune": "string", "niveau_thematique": "string", "thematique": "string", "distance_km": "float64"}


def _haversine(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(a))


def model(dbt, session):
    dbt.config(materialized="table")
    communes = dbt.ref("int_geo__contours_communes").df().dropna(subset=["latitude", "longitude"])
    located = dbt.ref("int_offre__services_localises").df()
    located = located[~located["a_distance"] & located["latitude"].notna() & located["longitude"].notna()]
    services = located.merge(dbt.ref("int_offre__services_thematiques").df(), on="service_id")
    if services.empty or communes.empty:  # no offer or no contours loaded yet
        return pd.DataFrame(columns=COLUMNS).astype(TYPES)
    rows = []
    clat = communes["latitude"].to_numpy()[:, None]
    clon = communes["longitude"].to_numpy()[:, None]
    for niveau, column in (("thematique", "thematique_v1"), ("categorie", "categorie_v1")):
        for value, group in services.groupby(column):
            d = _haversine(clat, clon, group["latitude"].to_numpy()[None, :], group["longitude"].to_numpy()[None, :])
            nearest = d.min(axis=1)
            rows.extend(zip(communes["code_commune"], [niveau] * len(nearest), [value] * len(nearest),
                            np.round(nearest, 2), strict=True))
    return pd.DataFrame(rows, columns=COLUMNS).astype(TYPES)
