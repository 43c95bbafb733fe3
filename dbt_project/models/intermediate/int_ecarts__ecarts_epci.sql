-- Need × offer per EPCI × axe × thématique (the 16 data·inclusion v1 categories): a need index (mean of the
-- oriented z-scores, within the département, of the category's need indicators — seed
-- map_thematiques__besoins), an offer index (z-score of services per 1,000 poor people, else per 10,000
-- inhabitants), the gap, and a coverage level (rule: var `couverture` in dbt_project.yml). Ranked so that
-- the « besoins peu ou non couverts » of each axe come first.
{%- set regle = var('couverture') %}
with offre as (
    select code_epci, code_departement, axe, categorie,
           sum(nb_services) as nb_services, sum(nb_services_eligibles) as nb_services_eligibles,
           max(population) as population,
           -- categories: a service counts once even when it covers several thématiques of the category
           max(services_pour_1000_pauvres) as services_pour_1000_pauvres_max,
           max(part_population_couverte) as part_population_couverte,
           min(distance_moyenne_km) as distance_moyenne_km,
           bool_or(donnees_synthetiques) as donnees_synthetiques
    from {{ ref('int_offre__offre_epci') }}
    group by all
),
services_categorie as (
    select l.code_epci, t.categorie_v1 as categorie, count(distinct l.service_id) as nb_services_distincts
    from {{ ref('int_offre__services_localises') }} as l
    join {{ ref('int_offre__services_thematiques') }} as t using (service_id)
    where l.code_epci is not null
    group by all
),
pauvres as (
    -- the latest millésime where the count is known, never a maximum over years
    select code_epci, code_departement, valeur as pauvres
    from {{ ref('int_besoins__indicateurs_epci') }}
    where indicateur_id = 'nb_personnes_pauvres' and valeur is not null
    qualify row_number() over (partition by code_epci, code_departement order by millesime desc, periode desc nulls last) = 1
),
densite as (
    select o.*, coalesce(s.nb_services_distincts, 0) as nb_services_distincts,
           case when p.pauvres > 0 then 1000.0 * coalesce(s.nb_services_distincts, 0) / p.pauvres
                else 10000.0 * coalesce(s.nb_services_distincts, 0) / nullif(o.population, 0) end as densite_offre
    from offre as o
    left join services_categorie as s using (code_epci, categorie)
    left join pauvres as p using (code_epci, code_departement)
),
offre_z as (
    select *, coalesce((densite_offre - avg(densite_offre) over w) / nullif(stddev_pop(densite_offre) over w, 0), 0)
        as indice_offre
    from densite
    window w as (partition by code_departement, categorie)
),
derniers_besoins as (
    select * from {{ ref('int_besoins__indicateurs_epci') }}
    where zscore_departement is not null
    qualify rank() over (partition by code_epci, code_departement, indicateur_id
                         order by millesime desc, periode desc nulls last) = 1
),
besoins as (
    select i.code_epci, i.code_departement, m.categorie_v1 as categorie,
           avg(i.zscore_departement) as indice_besoin,
           string_agg(distinct i.libelle_indicateur, ' ; ' order by i.libelle_indicateur) as indicateurs_besoin
    from derniers_besoins as i
    join {{ ref('map_thematiques__besoins') }} as m using (indicateur_id)
    group by all
),
ecarts as (
    select o.*, b.indice_besoin, b.indicateurs_besoin,
           round(coalesce(b.indice_besoin, 0) - o.indice_offre, 2) as ecart
    from offre_z as o
    left join besoins as b using (code_epci, code_departement, categorie)
)
select
    e.code_epci::varchar as code_epci,
    g.libelle_epci::varchar as libelle,
    e.code_departement::varchar as code_departement,
    e.axe::varchar as axe,
    a.libelle_axe::varchar as libelle_axe,
    e.categorie::varchar as thematique,
    coalesce(c.libelle_categorie, e.categorie)::varchar as libelle_thematique,
    round(e.indice_besoin, 2)::double as indice_besoin,
    coalesce({{ nombre_fr('round(e.indice_besoin, 2)', 2) }}, 'non mesuré')::varchar as indice_besoin_texte,
    round(e.indice_offre, 2)::double as indice_offre,
    e.ecart::double as ecart,
    e.nb_services_distincts::integer as nb_services,
    e.nb_services_eligibles::integer as nb_services_eligibles,
    e.part_population_couverte::double as part_population_couverte,
    e.distance_moyenne_km::double as distance_moyenne_km,
    coalesce(e.indicateurs_besoin, '')::varchar as indicateurs_besoin,
    (case
        when e.nb_services_distincts = 0 and e.nb_services_eligibles = 0 then 'non couvert'
        when e.ecart >= {{ regle['ecart_partiel'] }}
             or coalesce(e.part_population_couverte, 0) < {{ regle['part_population_min'] }} then 'partiellement couvert'
        else 'couvert'
    end)::varchar as niveau_couverture,
    rank() over (partition by e.code_departement, e.axe
                 order by case when e.nb_services_distincts = 0 and e.nb_services_eligibles = 0 then 0
                               when e.ecart >= {{ regle['ecart_partiel'] }}
                                    or coalesce(e.part_population_couverte, 0) < {{ regle['part_population_min'] }} then 1
                               else 2 end,
                          e.ecart desc nulls last)::integer as rang,
    e.donnees_synthetiques::boolean as donnees_synthetiques
from ecarts as e
join (select distinct code_epci, libelle_epci from {{ ref('int_geo__communes_epci') }}) as g using (code_epci)
left join {{ ref('ref_axes') }} as a on a.axe = e.axe
left join (select distinct categorie_v1, libelle_categorie from {{ ref('int_offre__taxonomie_v1') }}) as c
    on c.categorie_v1 = e.categorie
