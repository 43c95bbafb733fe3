-- T0 snapshots with the name of their département (from the geography when it has it).
with photographies as (select * from {{ ref('stg_construction__photographies_t0') }}),
departements as (
    select distinct code_departement, libelle_departement from {{ ref('int_geo__communes_epci') }}
)
select
    p.*,
    coalesce(d.libelle_departement, 'Département ' || p.code_departement) as libelle_departement
from photographies as p
left join departements as d using (code_departement)
