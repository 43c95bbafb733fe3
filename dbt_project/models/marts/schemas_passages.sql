-- Passages of the schémas départementaux classified by axe and thématique (keyword seed), citable as
-- « schéma X, p. N ».
select
    document_id::varchar as document_id,
    titre::varchar as titre,
    type_schema::varchar as type_schema,
    page::integer as page,
    axe::varchar as axe,
    thematique::varchar as thematique,
    extrait::varchar as extrait,
    mots_cles::varchar as mots_cles,
    citation::varchar as citation
from {{ ref('int_documents__passages') }}
