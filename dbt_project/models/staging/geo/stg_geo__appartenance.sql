select
    geo_millesime,
    code_commune,
    nullif(code_epci, 'ZZZZZZZZZ') as code_epci
from {{ source('geo', 'geo_appartenance') }}
qualify row_number() over (
    partition by geo_millesime, code_commune
    order by case _source_id when 'cog_insee' then 1 else 2 end, _charge_le desc
) = 1
