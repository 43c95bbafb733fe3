-- Communes of the chosen COG vintage with their EPCI and département (national: references need it).
with communes as (
    select * from {{ ref('stg_geo__communes') }}
    where geo_millesime = {{ millesime_cog() }} and type_commune = 'commune-actuelle'
),
appartenance as (
    select * from {{ ref('stg_geo__appartenance') }} where geo_millesime = {{ millesime_cog() }}
),
epci as (
    select * from {{ ref('stg_geo__epci') }} where geo_millesime = {{ millesime_cog() }}
),
departements as (
    -- Names rarely change: take the chosen vintage when loaded, else the nearest one.
    select * from {{ ref('stg_geo__departements') }}
    qualify row_number() over (
        partition by code_departement
        order by abs(geo_millesime - {{ millesime_cog() }}), geo_millesime desc
    ) = 1
)
select
    c.geo_millesime,
    c.code_commune,
    c.libelle,
    c.code_departement,
    coalesce(d.libelle, 'Département ' || c.code_departement) as libelle_departement,
    c.code_region,
    c.population,
    a.code_epci,
    e.libelle as libelle_epci,
    e.nature as nature_epci
from communes as c
left join appartenance as a using (code_commune)
left join epci as e using (code_epci)
left join departements as d using (code_departement)
