-- Filosofi indicators per commune of the chosen COG vintage (national), with the persons of fiscal
-- households as weight. Communes merged since the data vintage are recombined (estimated).
with rattachees as (
    select r.*, m.indicateur_id
    from {{ ref('int_filosofi__communes_rattachees') }} as r
    join {{ ref('map_filosofi__indicateurs') }} as m using (variable)
    where r.code_commune is not null and not r.est_arrondissement
),
poids as (
    select code_geo, millesime, valeur as personnes
    from rattachees where indicateur_id = 'nb_personnes_menages_fiscaux'
),
base as (
    select r.code_commune, r.code_geo, r.millesime, r.indicateur_id, r.valeur, r.statut, p.personnes,
           r.donnees_synthetiques
    from rattachees as r
    left join poids as p using (code_geo, millesime)
),
pauvres as (
    -- nb_personnes_pauvres = TP60 × NBPERSMENFISC / 100: a secret rate stays secret.
    select code_commune, code_geo, millesime, 'nb_personnes_pauvres' as indicateur_id,
           case when statut = 'ok' and personnes is not null then valeur * personnes / 100 end as valeur,
           case when statut = 'ok' and personnes is null then 'non_disponible' else statut end as statut,
           personnes, donnees_synthetiques
    from base where indicateur_id = 'taux_pauvrete_60'
),
toutes as (
    select * from base
    union all by name
    select * from pauvres
),
simples as (
    select * exclude (code_geo) from toutes
    qualify count(*) over (partition by code_commune, millesime, indicateur_id) = 1
),
fusionnees as (
    {{ estimer_depuis_communes("(select * from toutes qualify count(*) over (partition by code_commune, millesime, indicateur_id) > 1)", ["c.code_commune"]) }}
),
poids_fusionnees as (
    select code_commune, millesime, sum(personnes) as personnes
    from toutes where indicateur_id = 'nb_personnes_menages_fiscaux'
    group by all
)
select code_commune, millesime, indicateur_id, valeur, statut, personnes, donnees_synthetiques
from simples
union all
select f.code_commune, f.millesime, f.indicateur_id, f.valeur,
       case when f.statut = 'ok' then 'estime' else f.statut end, p.personnes, f.donnees_synthetiques
from fusionnees as f
left join poids_fusionnees as p using (code_commune, millesime)
