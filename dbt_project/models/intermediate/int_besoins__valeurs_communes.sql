-- Commune-level values of every source mapped onto the chosen COG vintage (directly, or through the
-- passage table for communes that merged since the data vintage). Unmapped codes keep a null
-- code_commune and are reported by marts.controle_codes_non_rattaches; PLM arrondissements are set
-- aside (the commune row exists).
-- A view: no test reads it and its consumers each read one slice; writing 1.6 M rows cost ~1 s per build.
{{ config(materialized='view') }}
with valeurs as (
    select * from {{ ref('int_besoins__valeurs') }} where niveau = 'commune'
),
geo as (select code_commune from {{ ref('int_geo__communes_epci') }}),
passage as (
    select code_ancien, code_actuel from {{ ref('stg_geo__passage') }}
    where geo_millesime = {{ millesime_cog() }}
)
select
    v.*,
    coalesce(g.code_commune, p.code_actuel) as code_commune,
    (v.code_geo between '75101' and '75120' or v.code_geo between '69381' and '69389'
        or v.code_geo between '13201' and '13216') as est_arrondissement
from valeurs as v
left join geo as g on g.code_commune = v.code_geo
left join passage as p on p.code_ancien = v.code_geo
