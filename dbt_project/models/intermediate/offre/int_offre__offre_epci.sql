-- Offer per EPCI × data·inclusion v1 thématique (grouped by axe of the Pacte), one row per diagnostic
-- département the EPCI touches; ratios per 10,000 inhabitants and per 1,000 poor people; dispositifs of
-- the tableau synthétique attached to the thématique (or its category) and to the EPCI's territory (a
-- departmental dispositif: to the EPCI of the département(s) it is attached to).
with epci_departement as (select * from {{ ref('int_geo__epci_diagnostic') }}),
pauvres as (
    select code_territoire as code_epci, valeur
    from {{ ref('int_besoins__indicateurs_territoires') }}
    where niveau = 'epci' and indicateur_id = 'nb_personnes_pauvres' and valeur is not null
    qualify row_number() over (partition by code_territoire order by millesime desc) = 1
),
communes_epci as (
    select code_epci, list(code_commune) as communes from {{ ref('int_geo__communes_epci') }} group by all
),
dispositifs as (
    select e.code_epci, o.thematique_v1,
           count(distinct d.dispositif_id) as nb_dispositifs,
           string_agg(distinct d.intitule || ' (' || d.porteur || ')', ' ; ' order by d.intitule || ' (' || d.porteur || ')') as dispositifs
    from {{ ref('stg_dispositifs__dispositifs') }} as d
    join {{ ref('int_offre__epci_thematiques') }} as o
        on d.thematique in (o.thematique_v1, o.categorie_v1)
    join communes_epci as e on e.code_epci = o.code_epci
    where d.code_epci = o.code_epci
       or list_has_any(d.codes_territoire, list_concat([o.code_epci], e.communes))
       -- a departmental dispositif counts for the EPCI of the département(s) it is attached to only
       or (d.couverture ilike 'départ%' and exists (
           select 1 from {{ ref('int_dispositifs__departements') }} as dd
           join epci_departement as ed on ed.code_departement = dd.code_departement
           where dd.dispositif_id = d.dispositif_id and ed.code_epci = o.code_epci))
    group by all
)
select
    o.code_epci::varchar as code_epci,
    e.libelle_epci::varchar as libelle,
    e.code_departement::varchar as code_departement,
    o.axe::varchar as axe,
    x.libelle_axe::varchar as libelle_axe,
    o.categorie_v1::varchar as categorie,
    coalesce(x.libelle_categorie, o.categorie_v1)::varchar as libelle_categorie,
    o.thematique_v1::varchar as thematique,
    coalesce(x.libelle_thematique, o.thematique_v1)::varchar as libelle_thematique,
    o.nb_services::integer as nb_services,
    o.nb_services_presentiel::integer as nb_services_presentiel,
    o.nb_services_eligibles::integer as nb_services_eligibles,
    o.nb_structures::integer as nb_structures,
    o.population::bigint as population,
    round(10000.0 * o.nb_services / nullif(o.population, 0), 2)::double as services_pour_10000_hab,
    round(1000.0 * o.nb_services / nullif(p.valeur, 0), 2)::double as services_pour_1000_pauvres,
    round(100.0 * o.nb_communes_couvertes / nullif(o.nb_communes, 0), 1)::double as part_communes_couvertes,
    round(100.0 * o.population_couverte / nullif(o.population, 0), 1)::double as part_population_couverte,
    round(o.distance_moyenne_km, 1)::double as distance_moyenne_km,
    {{ nombre_texte('round(1000.0 * o.nb_services / nullif(p.valeur, 0), 2)', 1) }}::varchar as services_pour_1000_pauvres_texte,
    {{ nombre_texte('o.distance_moyenne_km', 1) }}::varchar as distance_moyenne_texte,
    coalesce(di.nb_dispositifs, 0)::integer as nb_dispositifs,
    coalesce(di.dispositifs, '')::varchar as dispositifs,
    o.donnees_synthetiques::boolean as donnees_synthetiques
from {{ ref('int_offre__epci_thematiques') }} as o
join epci_departement as e using (code_epci)
left join pauvres as p using (code_epci)
left join {{ ref('int_offre__taxonomie_v1') }} as x using (thematique_v1)
left join dispositifs as di using (code_epci, thematique_v1)
