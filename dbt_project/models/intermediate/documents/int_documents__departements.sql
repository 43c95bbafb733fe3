-- Diagnostic départements of each schéma, for row-level security by département (one row per
-- document × département). A schéma départemental names its département; the first level that names a
-- département (of the diagnostic or not) decides:
--   1. its title, author or file name: a diagnostic département by its official name (accent- and
--      case-insensitive, whole words) or by its code as a separate token of the file name
--      (« pdi_16_2024.pdf »); another département only after « département(al) de… »;
--   2. its first page, after « département » or « départemental » (« Conseil départemental de la
--      Charente », « Département des Landes »);
--   3. when nothing names a département and the workspace covers a single one: that département.
-- The schéma is attached to the diagnostic départements named at the deciding level: none when that level
-- only names other départements (a Charente-Maritime schéma in a Charente workspace); marts.schemas_passages
-- then keeps its passages with an empty code_departement, which only administrators see.
-- A name never counts inside a longer one (« Charente » in « Charente-Maritime », « Loire » in « Haute-Loire »).
with registre as (
    select
        document_id,
        ' ' || regexp_replace(lower(strip_accents(concat_ws(' ', titre, auteur, regexp_replace(fichier, '\.[A-Za-z0-9]+$', '')))),
                              '[^a-z0-9]+', ' ', 'g') || ' ' as entete,
        ' ' || regexp_replace(lower(regexp_replace(fichier, '\.[A-Za-z0-9]+$', '')), '[^a-z0-9]+', ' ', 'g') || ' '
            as nom_fichier
    from {{ ref('stg_documents__registre') }}
),

premieres_pages as (
    select document_id,
           ' ' || regexp_replace(lower(strip_accents(texte)), '[^a-z0-9]+', ' ', 'g') || ' ' as premiere_page
    from {{ ref('stg_documents__pages') }}
    where trim(coalesce(texte, '')) <> ''
    qualify row_number() over (partition by document_id order by page) = 1
),

noms as (
    select distinct code_departement,
           ' ' || regexp_replace(lower(strip_accents(libelle_departement)), '[^a-z0-9]+', ' ', 'g') || ' ' as nom
    from {{ ref('int_geo__communes_epci') }}
),

-- every other département name that contains this one (« charente maritime » for « charente »)
noms_englobants as (
    select a.code_departement, a.nom, list(b.nom) filter (where b.nom is not null) as plus_longs,
           a.code_departement in {{ departements_sql() }} as du_diagnostic
    from noms as a
    left join noms as b on b.nom <> a.nom and contains(b.nom, a.nom)
    group by all
),

candidats as (
    select
        r.document_id,
        n.code_departement,
        n.du_diagnostic,
        -- the texts without the longer names, so that a name only counts on its own
        list_reduce(list_prepend(r.entete, n.plus_longs), (acc, x) -> replace(acc, x, ' ')) as entete,
        list_reduce(list_prepend(coalesce(p.premiere_page, ' '), n.plus_longs), (acc, x) -> replace(acc, x, ' '))
            as premiere_page,
        n.nom,
        ' departement(al|ale)? (de la |du |des |de l |d |de )?' || trim(n.nom) || ' ' as apres_departement,
        contains(r.nom_fichier, ' ' || lower(n.code_departement) || ' ') as code_dans_fichier
    from registre as r
    left join premieres_pages as p using (document_id)
    cross join noms_englobants as n
),

nommes as (
    select document_id, code_departement, du_diagnostic,
           'nommé dans le titre, l’auteur ou le nom du fichier' as rattachement, 1 as niveau
    from candidats
    where (du_diagnostic and (contains(entete, nom) or code_dans_fichier)) or regexp_matches(entete, apres_departement)
    union all
    select document_id, code_departement, du_diagnostic, 'nommé en première page' as rattachement, 2 as niveau
    from candidats
    where regexp_matches(premiere_page, apres_departement)
),

decisifs as (
    select * from nommes
    qualify niveau = min(niveau) over (partition by document_id)
)

select distinct document_id, code_departement, rattachement from decisifs where du_diagnostic
{{ rattachement_seul_departement('registre', 'document_id', 'decisifs') }}
