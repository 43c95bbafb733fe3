-- EPCI × indicator × millésime with the EPCI's outline (int_geo__anneaux_epci), for the offline choropleths
-- (needs, gaps, offer background). Rows of the latest millésime carry est_dernier_millesime; the gap to the
-- département is taken on the same millésime; the tooltip names the EPCI, its value and its millésime.
with anneaux as (
    select * from {{ ref('int_geo__anneaux_epci') }}
)
select
    i.code_epci::varchar as code_epci,
    i.libelle::varchar as libelle,
    i.code_departement::varchar as code_departement,
    i.indicateur_id::varchar as indicateur_id,
    i.libelle_indicateur::varchar as libelle_indicateur,
    i.unite::varchar as unite,
    i.axe::varchar as axe,
    i.libelle_axe::varchar as libelle_axe,
    i.valeur::double as valeur,
    i.valeur_departement::double as valeur_departement,
    i.ecart_departement::double as ecart_departement,
    i.statut::varchar as statut,
    i.valeur_texte::varchar as valeur_texte,
    i.millesime::integer as millesime,
    i.periode::varchar as periode,
    i.est_dernier_millesime::boolean as est_dernier_millesime,
    (i.libelle || ' : ' || i.valeur_texte || ' (' || i.millesime || coalesce(', ' || i.periode, '') || ')')::varchar
        as infobulle,
    a.contour::varchar as contour
from {{ ref('int_besoins__indicateurs_epci') }} as i
join anneaux as a using (code_epci)
where a.contour is not null
