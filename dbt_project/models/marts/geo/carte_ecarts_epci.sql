-- EPCI × axe with the EPCI's outline: how many thématique categories of the axe are « non couvert » or
-- « partiellement couvert » (marts.ecarts_epci), for the synthesis map of uncovered needs.
select
    e.code_epci::varchar as code_epci,
    any_value(e.libelle)::varchar as libelle,
    e.code_departement::varchar as code_departement,
    e.axe::varchar as axe,
    any_value(e.libelle_axe)::varchar as libelle_axe,
    count(*)::integer as nb_thematiques,
    count(*) filter (where e.niveau_couverture = 'non couvert')::integer as nb_non_couvertes,
    count(*) filter (where e.niveau_couverture = 'partiellement couvert')::integer as nb_partiellement_couvertes,
    count(*) filter (where e.niveau_couverture <> 'couvert')::integer as nb_peu_ou_non_couvertes,
    (any_value(e.libelle) || ' : ' || count(*) filter (where e.niveau_couverture <> 'couvert') || ' sur '
        || count(*) || ' peu ou non couvertes')::varchar as infobulle,
    any_value(a.contour)::varchar as contour
from {{ ref('int_ecarts__ecarts_epci') }} as e
join {{ ref('int_geo__anneaux_epci') }} as a using (code_epci)
where a.contour is not null
group by e.code_epci, e.code_departement, e.axe
