-- Every needs source in one long shape (one row per territory × variable × millésime × période).
-- A new source plugs in with one more `union all by name` of its stg_<source>__valeurs model.
-- Only the variables some indicator reads (map_variables__indicateurs) or that weight communes
-- (population) go on: national files carry about twice as many, and every downstream model is per row.
-- A view: no test reads it and both consumers filter it by niveau; writing its 1.7 M rows cost ~1 s per build.
{{ config(materialized='view') }}
with utiles as (
    select distinct source_id, variable from {{ ref('map_variables__indicateurs') }}
    union
    select * from (values ('insee_populations_legales', 'PMUN'), ('insee_filosofi', 'NBPERSMENFISC'),
                          ('insee_filosofi', 'NBPERS')) as p(source_id, variable)
),
caf as (
    -- CAF publishes two layouts: IRIS files (ARSAS, APPA…) rolled up to communes, and commune/EPCI files
    -- with the legacy data.caf.fr names. Harmonise the names so that each indicator reads one variable
    -- (never the sum of both layouts) — the two layouts do not cover the same millésimes.
    select niveau, code_geo, millesime, periode,
           case variable
               when 'NB_allocataire_RSA' then 'ARSAS'
               when 'ALL_PPA' then 'APPA'
               when 'ALL_AAH' then 'AAAH'
               else variable
           end as variable,
           valeur, statut, donnees_synthetiques
    from (
        select niveau, code_geo, millesime, periode, variable, valeur, statut, donnees_synthetiques
        from {{ ref('int_besoins__caf_communes') }}
        union all
        select niveau, code_geo, millesime, periode, variable, valeur, statut, donnees_synthetiques
        from {{ ref('stg_caf__valeurs') }}
        where niveau in ('epci', 'departement', 'region', 'france')
    )
    -- a file carrying both a legacy and an IRIS-style name for the same count keeps the IRIS-style one
    qualify row_number() over (
        partition by niveau, code_geo, millesime, periode,
            case variable when 'NB_allocataire_RSA' then 'ARSAS' when 'ALL_PPA' then 'APPA'
                          when 'ALL_AAH' then 'AAAH' else variable end
        order by case when variable in ('NB_allocataire_RSA', 'ALL_PPA', 'ALL_AAH') then 1 else 0 end
    ) = 1
)
select * from (
    select 'insee_filosofi' as source_id, niveau, code_geo, millesime, null::varchar as periode, variable,
           valeur, statut, donnees_synthetiques
    from {{ ref('stg_insee_filosofi__valeurs') }}
    union all by name
    select 'insee_recensement' as source_id, niveau, code_geo, millesime, periode, variable, valeur, statut,
           donnees_synthetiques
    from {{ ref('stg_insee_recensement__valeurs') }}
    union all by name
    select 'insee_populations_legales' as source_id, niveau, code_geo, millesime, periode, variable, valeur, statut,
           donnees_synthetiques
    from {{ ref('stg_insee_populations_legales__valeurs') }}
    union all by name
    select 'caf' as source_id, * from caf
    union all by name
    select 'france_travail' as source_id, niveau, code_geo, millesime, periode, variable, valeur, statut,
           donnees_synthetiques
    from {{ ref('stg_france_travail__valeurs') }}
    union all by name
    select 'drees' as source_id, niveau, code_geo, millesime, periode, variable, valeur, statut, donnees_synthetiques
    from {{ ref('stg_drees__valeurs') }}
) as v
semi join utiles using (source_id, variable)
