-- data·inclusion v1 thématiques with their French labels, their category's label and the axe of the Pacte
-- (seed ref_thematiques_axes, labels of ref_axes): every mart shows labels from here, never codes.
with thematiques as (
    select valeur as thematique_v1, any_value(libelle) as libelle_thematique, any_value(categorie) as categorie_v1
    from {{ ref('stg_data_inclusion__taxonomies') }}
    where taxonomie = 'thematiques' and version = 'v1'
    group by all
),
categories as (
    select valeur as categorie_v1, any_value(libelle) as libelle_categorie
    from {{ ref('stg_data_inclusion__taxonomies') }}
    where taxonomie = 'categories' and version = 'v1'
    group by all
)
select
    t.thematique_v1,
    t.libelle_thematique,
    t.categorie_v1,
    coalesce(c.libelle_categorie, t.categorie_v1) as libelle_categorie,
    r.axe,
    a.libelle_axe
from thematiques as t
left join categories as c using (categorie_v1)
left join {{ ref('ref_thematiques_axes') }} as r using (thematique_v1)
left join {{ ref('ref_axes') }} as a using (axe)
