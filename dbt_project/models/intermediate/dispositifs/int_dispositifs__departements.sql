-- Diagnostic départements of each dispositif, for row-level security by département (one row per
-- dispositif × département). Rule:
--   1. every diagnostic département touched by the dispositif's territory: its EPCI (every département
--      where the EPCI has communes: an EPCI straddling two diagnostic départements attaches the dispositif
--      to both) and its commune codes (current codes, or old codes absorbed by a current commune);
--   2. otherwise, when the workspace covers a single département, that département;
--   3. otherwise none: the dispositif is not attached (marts.dispositifs keeps it with an empty
--      code_departement, which only administrators see).
with dispositifs as (
    select dispositif_id, list_distinct(list_concat(codes_territoire, [code_epci])) as codes
    from {{ ref('stg_dispositifs__dispositifs') }}
),

codes as (
    select dispositif_id, unnest(codes) as code from dispositifs
),

communes as (
    select code_commune, code_epci, code_departement from {{ ref('int_geo__communes_epci') }}
),

touches as (
    select c.dispositif_id, m.code_departement
    from codes as c
    inner join communes as m on m.code_commune = c.code
    union
    select c.dispositif_id, m.code_departement
    from codes as c
    inner join {{ ref('int_geo__passage_courant') }} as p on p.code_ancien = c.code
    inner join communes as m on m.code_commune = p.code_actuel
    union
    select c.dispositif_id, m.code_departement
    from codes as c
    inner join communes as m on m.code_epci = c.code
),

territoire as (
    select distinct dispositif_id, code_departement, 'territoire du dispositif' as rattachement
    from touches
    where code_departement in {{ departements_sql() }}
)

select dispositif_id, code_departement, rattachement from territoire
{{ rattachement_seul_departement('dispositifs', 'dispositif_id', 'territoire') }}
