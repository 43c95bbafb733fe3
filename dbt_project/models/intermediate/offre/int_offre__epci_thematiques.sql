-- Offer per EPCI × v1 thématique: services located in the EPCI, services eligible to its inhabitants
-- (zone_eligibilite naming one of its communes, the EPCI, its département or France), structures,
-- commune/population coverage and the population-weighted distance to the nearest in-person service.
with communes as (
    -- Every EPCI touching a diagnostic département, whether or not contours or services were loaded:
    -- an EPCI without any offer data must show 0 services, not disappear.
    select c.code_commune, c.code_epci, c.code_departement, coalesce(p.population, 0) as population
    from {{ ref('int_geo__communes_epci') }} as c
    left join {{ ref('int_geo__population_communes') }} as p using (code_commune)
    where c.code_epci in (select code_epci from {{ ref('int_geo__epci_diagnostic') }})
),
epci as (
    select code_epci,
           list(distinct code_departement) as departements, count(*) as nb_communes, sum(population) as population
    from communes group by code_epci
),
services as (
    select l.*, t.thematique_v1, t.categorie_v1
    from {{ ref('int_offre__services_localises') }} as l
    join {{ ref('int_offre__services_thematiques') }} as t using (service_id)
),
thematiques as (select distinct thematique_v1, categorie_v1, axe from {{ ref('ref_thematiques_axes') }}),
grille as (select e.code_epci, t.* from epci as e cross join thematiques as t),
situes as (
    select code_epci, thematique_v1, count(distinct service_id) as nb_services,
           count(distinct service_id) filter (where not a_distance) as nb_services_presentiel,
           count(distinct structure_id) as nb_structures,
           bool_or(donnees_synthetiques) as donnees_synthetiques
    from services where code_epci is not null group by all
),
eligibles as (
    select e.code_epci, s.thematique_v1, count(distinct s.service_id) as nb_services_eligibles
    from services as s
    join epci as e
        on list_has_any(string_split(coalesce(s.zone_eligibilite, ''), ','),
                        list_concat([e.code_epci, 'france'], e.departements))
        or s.code_epci = e.code_epci
    group by all
),
communes_couvertes as (
    select c.code_epci, s.thematique_v1, count(distinct c.code_commune) as nb_communes_couvertes,
           sum(c.population) as population_couverte
    from (select distinct code_commune, thematique_v1 from services where not a_distance and code_commune is not null) as s
    join communes as c using (code_commune)
    group by all
),
distances as (
    select c.code_epci, d.thematique as thematique_v1,
           sum(d.distance_km * c.population) / nullif(sum(c.population), 0) as distance_moyenne_km
    from {{ ref('int_offre__distances_communes') }} as d
    join communes as c using (code_commune)
    where d.niveau_thematique = 'thematique'
    group by all
)
select
    g.code_epci, g.thematique_v1, g.categorie_v1, g.axe,
    coalesce(s.nb_services, 0) as nb_services,
    coalesce(s.nb_services_presentiel, 0) as nb_services_presentiel,
    coalesce(el.nb_services_eligibles, 0) as nb_services_eligibles,
    coalesce(s.nb_structures, 0) as nb_structures,
    e.nb_communes, e.population,
    coalesce(cc.nb_communes_couvertes, 0) as nb_communes_couvertes,
    coalesce(cc.population_couverte, 0) as population_couverte,
    d.distance_moyenne_km,
    coalesce(s.donnees_synthetiques, false) as donnees_synthetiques
from grille as g
join epci as e using (code_epci)
left join situes as s using (code_epci, thematique_v1)
left join eligibles as el using (code_epci, thematique_v1)
left join communes_couvertes as cc using (code_epci, thematique_v1)
left join distances as d using (code_epci, thematique_v1)
