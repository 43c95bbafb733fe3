-- Commune contours and representative points of the diagnostic départements (offline maps, distances).
select
    code_commune::varchar as code_commune,
    libelle::varchar as libelle,
    code_epci::varchar as code_epci,
    code_departement::varchar as code_departement,
    geojson::varchar as geojson,
    longitude::double as longitude,
    latitude::double as latitude,
    round(surface_km2, 2)::double as surface_km2,
    {{ millesime_cog() }}::integer as geo_millesime
from {{ ref('int_geo__contours_communes') }}
where code_departement in {{ departements_sql() }}
