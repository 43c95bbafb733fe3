-- Communes of every EPCI that touches a diagnostic département (an EPCI is mapped whole), with the contour
-- codes that cover each of them: its own code in the contours vintage, else the old codes it absorbed.
with communes as (select * from {{ ref('int_geo__communes_epci') }}),

perimetre as (
    select c.* from communes as c
    where c.code_departement in {{ departements_sql() }}
       or c.code_epci in (select code_epci from {{ ref('int_geo__epci_diagnostic') }})
),
contours as (
    -- The contours vintage closest to the chosen COG (a commune code is stable unless it merged).
    select * from {{ ref('stg_geo_contours__communes') }}
    qualify row_number() over (
        partition by code_commune
        order by abs(geo_millesime - {{ millesime_cog() }}), geo_millesime desc
    ) = 1
),
passage as (
    select code_ancien, code_actuel from {{ ref('stg_geo__passage') }}
    where geo_millesime = {{ millesime_cog() }}
)
select p.code_commune, p.libelle, p.code_epci, p.libelle_epci, p.code_departement, p.population,
       k.code_commune as code_contour, k.geometrie_wkb, k.longitude, k.latitude, k.surface_km2
from perimetre as p
join contours as k on k.code_commune = p.code_commune
union all
select p.code_commune, p.libelle, p.code_epci, p.libelle_epci, p.code_departement, p.population,
       k.code_commune, k.geometrie_wkb, k.longitude, k.latitude, k.surface_km2
from perimetre as p
join passage as x on x.code_actuel = p.code_commune
join contours as k on k.code_commune = x.code_ancien
where not exists (select 1 from contours as own where own.code_commune = p.code_commune)
