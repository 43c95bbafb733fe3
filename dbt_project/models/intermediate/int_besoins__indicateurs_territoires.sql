-- Indicators per EPCI, département and France. A value published at that level (EPCI/DEP/France file,
-- or a département-only source such as DREES) is used as is; otherwise it is estimated from the communes.
with communes as (
    select c.*, coalesce(c.periode, '') as periode_cle, g.code_epci, g.code_departement
    from {{ ref('int_besoins__indicateurs_commune') }} as c
    join {{ ref('int_geo__communes_epci') }} as g using (code_commune)
),
communes_cle as (select * exclude (periode) rename (periode_cle as periode) from communes),
estimes as (
    select 'epci' as niveau, code_epci as code_territoire, * exclude (code_epci) from (
        {{ estimer_depuis_communes("(select * from communes_cle where code_epci is not null)", ["c.code_epci"]) }}
    )
    union all by name
    select 'departement' as niveau, code_departement as code_territoire, * exclude (code_departement) from (
        {{ estimer_depuis_communes("communes_cle", ["c.code_departement"]) }}
    )
    union all by name
    select 'france' as niveau, 'FR' as code_territoire, * from (
        -- Offer-derived indicators exist only for the diagnostic perimeter: no France value.
        {{ estimer_depuis_communes("(select * from communes_cle where indicateur_id not like 'distance_service_%')", []) }}
    )
),
valeurs_territoires as (
    select niveau, case when niveau = 'france' then 'FR' else code_geo end as code_territoire, *
        exclude (niveau)
    from {{ ref('int_besoins__valeurs') }}
    where niveau in ('epci', 'departement', 'france')
),
publies as (
    select * from {{ indicateurs_depuis_valeurs("valeurs_territoires", ['niveau', 'code_territoire']) }}
)
select
    coalesce(p.niveau, e.niveau) as niveau,
    coalesce(p.code_territoire, e.code_territoire) as code_territoire,
    coalesce(p.indicateur_id, e.indicateur_id) as indicateur_id,
    coalesce(p.millesime, e.millesime) as millesime,
    nullif(coalesce(p.periode, e.periode), '') as periode,
    case when p.niveau is not null then p.valeur else e.valeur end as valeur,
    case when p.niveau is not null then p.numerateur else e.numerateur end as numerateur,
    case when p.niveau is not null then p.denominateur else e.denominateur end as denominateur,
    -- A value that cannot be computed (e.g. a zero denominator) is not available, whatever the inputs said.
    case when (case when p.niveau is not null then p.valeur else e.valeur end) is null
              and (case when p.niveau is not null then p.statut else e.statut end) in ('ok', 'estime')
         then 'non_disponible'
         else case when p.niveau is not null then p.statut else e.statut end end as statut,
    case when p.niveau is null then e.part_population_couverte end as part_population_couverte,
    -- Weight of a rate estimated from the communes (personnes, menages, population_legale, aucune).
    case when p.niveau is null then e.ponderation end as ponderation,
    p.niveau is not null as publie_au_niveau,
    coalesce(p.donnees_synthetiques, e.donnees_synthetiques) as donnees_synthetiques
from publies as p
full outer join estimes as e
    on e.niveau = p.niveau and e.code_territoire = p.code_territoire
    and e.millesime = p.millesime and e.periode = p.periode and e.indicateur_id = p.indicateur_id
