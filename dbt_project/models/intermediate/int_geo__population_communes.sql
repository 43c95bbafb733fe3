-- Population per commune of the chosen COG, for per-capita ratios and population weights: the latest
-- population municipale (populations légales) if loaded, else the geography file's, else the persons of
-- fiscal households (Filosofi). `source_population` says which.
with valeurs as (
    select code_commune, source_id, variable, millesime, sum(valeur) as valeur
    from {{ ref('int_besoins__valeurs_communes') }}
    where code_commune is not null and not est_arrondissement and statut = 'ok'
      and ((source_id = 'insee_populations_legales' and variable = 'PMUN')
           or (source_id = 'insee_filosofi' and variable in ('NBPERSMENFISC', 'NBPERS')))
    group by all
),
dernieres as (
    select * from valeurs
    qualify row_number() over (partition by code_commune, source_id order by millesime desc) = 1
)
select
    g.code_commune,
    coalesce(pl.valeur, g.population, fi.valeur)::bigint as population,
    case when pl.valeur is not null then 'populations légales ' || pl.millesime
         when g.population is not null then 'référentiel géographique'
         when fi.valeur is not null then 'Filosofi ' || fi.millesime || ' (personnes des ménages fiscaux)'
    end as source_population
from {{ ref('int_geo__communes_epci') }} as g
left join dernieres as pl on pl.code_commune = g.code_commune and pl.source_id = 'insee_populations_legales'
left join dernieres as fi on fi.code_commune = g.code_commune and fi.source_id = 'insee_filosofi'
