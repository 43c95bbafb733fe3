select
    geo_millesime,
    code_epci,
    libelle,
    nature,
    nb_communes
from {{ source('geo', 'geo_epci') }}
where code_epci <> 'ZZZZZZZZZ'  -- INSEE pseudo-EPCI of communes without one
qualify row_number() over (
    partition by geo_millesime, code_epci
    order by case _source_id when 'cog_insee' then 1 else 2 end, _charge_le desc
) = 1
