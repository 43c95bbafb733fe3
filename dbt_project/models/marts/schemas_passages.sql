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
    p.thematique::varchar as thematique,
    p.extrait::varchar as extrait,
    p.mots_cles::varchar as mots_cles,
    p.citation::varchar as citation
from {{ ref('int_documents__passages') }} as p
left join {{ ref('int_documents__departements') }} as dd using (document_id)
