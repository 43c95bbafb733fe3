-- EPCI rows of marts.comparaison_t0 whose change is computed (statut comparable or rebase) with the EPCI's
-- outline, for the map of the change on « Suivi à mi-parcours ». Outlines are those of this build's COG: an EPCI
-- of another T+3 geography (--avec a later snapshot) that no longer exists is left off the map, not the table.
select
    c.label_t0::varchar as label_t0,
    c.comparee_a::varchar as comparee_a,
    c.code_departement::varchar as code_departement,
    c.code_territoire::varchar as code_epci,
    c.libelle::varchar as libelle,
    c.indicateur_id::varchar as indicateur_id,
    c.libelle_indicateur::varchar as libelle_indicateur,
    c.unite::varchar as unite,
    c.axe::varchar as axe,
    c.libelle_axe::varchar as libelle_axe,
    c.statut_comparabilite::varchar as statut_comparabilite,
    c.evolution_absolue::double as evolution_absolue,
    c.direction_libelle::varchar as direction_libelle,
    (c.libelle || ' : ' || c.evolution_texte || ' ' || coalesce(c.unite, '') || ' (' || c.millesime_periode_t0
        || ' → ' || c.millesime_periode_t3 || ', ' || c.direction_libelle || ')')::varchar as infobulle,
    a.contour::varchar as contour
from {{ ref('comparaison_t0') }} as c
join {{ ref('int_geo__anneaux_epci') }} as a on a.code_epci = c.code_territoire
where c.niveau = 'epci' and c.evolution_absolue is not null and a.contour is not null
