select geo_millesime, code_ancien, code_actuel
from {{ source('geo', 'geo_passage') }}
qualify row_number() over (partition by geo_millesime, code_ancien order by _charge_le desc) = 1
