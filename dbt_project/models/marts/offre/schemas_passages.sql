-- Passages of the schémas départementaux classified by axe and thématique (keyword seed), citable as
-- « schéma X, p. N »: one row per passage and diagnostic département the schéma is attached to
-- (int_documents__departements: the département it names, else the workspace's only département). A
-- schéma attached to no département keeps its passages with an empty code_departement: only
-- administrators see them (row-level security).
select
    p.document_id::varchar as document_id,
    dd.code_departement::varchar as code_departement,
    coalesce(dd.rattachement, 'non rattaché')::varchar as rattachement_departement,
    p.titre::varchar as titre,
    p.type_schema::varchar as type_schema,
    p.page::integer as page,
    p.axe::varchar as axe,
    a.libelle_axe::varchar as libelle_axe,
    p.thematique::varchar as thematique,
    coalesce(x.libelle_thematique, c.libelle_categorie, p.thematique)::varchar as libelle_thematique,
    p.extrait::varchar as extrait,
    p.mots_cles::varchar as mots_cles,
    p.citation::varchar as citation
from {{ ref('int_documents__passages') }} as p
left join {{ ref('int_documents__departements') }} as dd using (document_id)
left join {{ ref('ref_axes') }} as a on a.axe = p.axe
left join {{ ref('int_offre__taxonomie_v1') }} as x on x.thematique_v1 = p.thematique
left join (select distinct categorie_v1, libelle_categorie from {{ ref('int_offre__taxonomie_v1') }}) as c
    on c.categorie_v1 = p.thematique
