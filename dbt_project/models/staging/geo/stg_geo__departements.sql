select geo_millesime, code_departement, libelle, code_region
from {{ source('geo', 'geo_departements') }}
qualify row_number() over (partition by geo_millesime, code_departement order by _charge_le desc) = 1
