-- Pages × axes/thématiques by the editable keyword dictionary (seed ref_mots_cles_axes): a page is cited
-- for a thème when it contains at least one of its keywords (accent- and case-insensitive, whole words).
with pages as (
    select p.document_id, r.titre, r.type_schema, p.page, p.texte,
           ' ' || regexp_replace(lower(strip_accents(p.texte)), '[^a-z0-9]+', ' ', 'g') || ' ' as texte_norm
    from {{ ref('stg_documents__pages') }} as p
    inner join {{ ref('stg_documents__registre') }} as r using (document_id)
    where not r.periode_ancienne  -- old schémas (period before 2000) are not cited as current
),

mots as (
    select axe, thematique, mot_cle,
           ' ' || regexp_replace(lower(strip_accents(mot_cle)), '[^a-z0-9]+', ' ', 'g') || ' ' as mot_norm
    from {{ ref('ref_mots_cles_axes') }}
),

hits as (
    select pages.*, mots.axe, mots.thematique, mots.mot_cle, mots.mot_norm
    from pages
    inner join mots on contains(pages.texte_norm, mots.mot_norm)
)

select
    document_id,
    titre,
    type_schema,
    page,
    axe,
    thematique,
    -- about 300 characters around the first keyword, for citations
    substr(texte, greatest(1, strpos(lower(strip_accents(texte)), trim(min(mot_norm))) - 120), 300) as extrait,
    string_agg(distinct mot_cle, ', ' order by mot_cle) as mots_cles,
    titre || ', p. ' || page as citation
from hits
group by document_id, titre, type_schema, page, axe, thematique, texte
