-- One row per commune and COG vintage; INSEE's own file wins over the Etalab package when both are loaded.
select
    geo_millesime,
    code_commune,
    libelle,
    code_departement,
    code_region,
    type_commune,
    population,
    _source_id as source_id
from {{ source('geo', 'geo_communes') }}
qualify row_number() over (
    partition by geo_millesime, code_commune
    order by case _source_id when 'cog_insee' then 1 else 2 end, _charge_le desc
) = 1
