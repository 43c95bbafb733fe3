select geo_millesime, code_commune, libelle, geometrie_wkb, longitude, latitude, surface_km2
from {{ source('geo_contours', 'geo_contours') }}
qualify row_number() over (partition by geo_millesime, code_commune order by _charge_le desc, _sha256) = 1
