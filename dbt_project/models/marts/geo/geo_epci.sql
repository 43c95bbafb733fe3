-- EPCI contours for offline maps (GeoJSON geometry dissolved from commune contours), one row per EPCI ×
-- diagnostic département it touches, so that a département filter keeps straddling EPCI whole.
with epci_departement as (select * from {{ ref('int_geo__epci_diagnostic') }})
select
    g.code_epci::varchar as code_epci,
    g.libelle::varchar as libelle,
    e.code_departement::varchar as code_departement,
    g.departements::varchar as departements,
    g.nb_communes::integer as nb_communes,
    g.geojson::varchar as geojson,
    g.longitude::double as longitude,
    g.latitude::double as latitude,
    round(g.surface_km2, 1)::double as surface_km2,
    {{ millesime_cog() }}::integer as geo_millesime
from {{ ref('int_geo__contours_epci') }} as g
join epci_departement as e using (code_epci)
