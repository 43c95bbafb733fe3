-- The tableau synthétique des dispositifs as filled in by the partners: one row per dispositif and
-- diagnostic département it is attached to (int_dispositifs__departements: the départements its EPCI or
-- communes touch, else the workspace's only département). A dispositif attached to no département keeps
-- one row with an empty code_departement: only administrators see it (row-level security).
select
    d.dispositif_id::varchar as dispositif_id,
    dd.code_departement::varchar as code_departement,
    coalesce(dd.rattachement, 'non rattaché')::varchar as rattachement_departement,
    d.intitule::varchar as intitule,
    d.porteur::varchar as porteur,
    coalesce(d.co_porteurs, '')::varchar as co_porteurs,
    coalesce(d.mode_financement, '')::varchar as mode_financement,
    coalesce(d.public_vise, '')::varchar as public_vise,
    d.axe::varchar as axe,
    a.libelle_axe::varchar as libelle_axe,
    d.thematique::varchar as thematique,
    coalesce(x.libelle_thematique, c.libelle_categorie, d.thematique)::varchar as libelle_thematique,
    coalesce(d.couverture, '')::varchar as couverture,
    d.code_epci::varchar as code_epci,
    coalesce(d.territoire, '')::varchar as territoire,
    array_to_string(d.codes_territoire, ',')::varchar as codes_territoire,
    coalesce(d.difficultes, '')::varchar as difficultes,
    coalesce(d.pistes_developpement, '')::varchar as pistes_developpement,
    d.source::varchar as source,
    d.fichier::varchar as fichier,
    coalesce(d.donnees_synthetiques, false)::boolean as donnees_synthetiques
from {{ ref('stg_dispositifs__dispositifs') }} as d
left join {{ ref('int_dispositifs__departements') }} as dd using (dispositif_id)
left join {{ ref('ref_axes') }} as a on a.axe = d.axe
left join {{ ref('int_offre__taxonomie_v1') }} as x on x.thematique_v1 = d.thematique
left join (select distinct categorie_v1, libelle_categorie from {{ ref('int_offre__taxonomie_v1') }}) as c
    on c.categorie_v1 = d.thematique
