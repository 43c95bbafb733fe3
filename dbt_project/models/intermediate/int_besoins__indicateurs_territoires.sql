-- Indicators per EPCI, département and France. A value published at that level (EPCI/DEP/France
-- file) is used as is (statut from the file); otherwise it is estimated from the communes.
with communes as (
    select c.*, g.code_epci, g.code_departement
    from {{ ref('int_besoins__indicateurs_commune') }} as c
    join {{ ref('int_geo__communes_epci') }} as g using (code_commune)
),
estimes as (
    select 'epci' as niveau, code_epci as code_territoire, * exclude (code_epci) from (
        {{ estimer_depuis_communes("(select * from communes where code_epci is not null)", ["c.code_epci"]) }}
    )
    union all by name
    select 'departement' as niveau, code_departement as code_territoire, * exclude (code_departement) from (
        {{ estimer_depuis_communes("communes", ["c.code_departement"]) }}
    )
    union all by name
    select 'france' as niveau, 'FR' as code_territoire, * from (
        {{ estimer_depuis_communes("communes", []) }}
    )
),
publies as (
    select v.niveau,
           case when v.niveau = 'france' then 'FR' else v.code_geo end as code_territoire,
           v.millesime, m.indicateur_id, v.valeur, v.statut, v.donnees_synthetiques
    from {{ ref('stg_insee_filosofi__valeurs') }} as v
    join {{ ref('map_filosofi__indicateurs') }} as m using (variable)
    where v.niveau in ('epci', 'departement', 'france')
),
publies_pauvres as (
    select t.niveau, t.code_territoire, t.millesime, 'nb_personnes_pauvres' as indicateur_id,
           case when t.statut = 'ok' and p.statut = 'ok' then t.valeur * p.valeur / 100 end as valeur,
           case when t.statut = 'ok' and p.statut = 'ok' then 'ok' else t.statut end as statut,
           t.donnees_synthetiques
    from publies as t
    join publies as p
        on p.niveau = t.niveau and p.code_territoire = t.code_territoire and p.millesime = t.millesime
        and p.indicateur_id = 'nb_personnes_menages_fiscaux'
    where t.indicateur_id = 'taux_pauvrete_60'
),
tous_publies as (
    select * from publies
    union all by name
    select * from publies_pauvres
)
select
    coalesce(p.niveau, e.niveau) as niveau,
    coalesce(p.code_territoire, e.code_territoire) as code_territoire,
    coalesce(p.millesime, e.millesime) as millesime,
    coalesce(p.indicateur_id, e.indicateur_id) as indicateur_id,
    case when p.niveau is not null then p.valeur else e.valeur end as valeur,
    case when p.niveau is not null then p.statut else e.statut end as statut,
    case when p.niveau is null then e.part_population_couverte end as part_population_couverte,
    coalesce(p.donnees_synthetiques, e.donnees_synthetiques) as donnees_synthetiques
from tous_publies as p
full outer join estimes as e
    on e.niveau = p.niveau and e.code_territoire = p.code_territoire
    and e.millesime = p.millesime and e.indicateur_id = p.indicateur_id
