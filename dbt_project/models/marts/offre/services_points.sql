-- Service points of the diagnostic départements for maps (one row per service × thématique).
select
    l.service_id::varchar as service_id,
    l.nom::varchar as nom,
    l.source_id::varchar as source_id,
    l.code_commune::varchar as code_commune,
    l.code_epci::varchar as code_epci,
    l.code_departement::varchar as code_departement,
    l.latitude::double as latitude,
    l.longitude::double as longitude,
    l.localisation::varchar as localisation,
    l.a_distance::boolean as a_distance,
    t.thematique_v1::varchar as thematique,
    coalesce(x.libelle_thematique, t.thematique_v1)::varchar as libelle_thematique,
    t.categorie_v1::varchar as categorie,
    coalesce(x.libelle_categorie, t.categorie_v1)::varchar as libelle_categorie,
    t.axe::varchar as axe,
    a.libelle_axe::varchar as libelle_axe,
    l.donnees_synthetiques::boolean as donnees_synthetiques
from {{ ref('int_offre__services_localises') }} as l
join {{ ref('int_offre__services_thematiques') }} as t using (service_id)
left join {{ ref('int_offre__taxonomie_v1') }} as x using (thematique_v1)
left join {{ ref('ref_axes') }} as a on a.axe = t.axe
where l.code_departement in {{ departements_sql() }}
