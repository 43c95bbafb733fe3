-- The diagnostic départements each landed file speaks for, for row-level security on marts.provenance
-- (a file name can tell what another département is preparing: « tableau_dispositifs_landes.xlsx »).
--   * a tableau des dispositifs: the départements of the dispositifs it holds (int_dispositifs__departements);
--   * a document (schéma): the département it is attached to (int_documents__departements);
--   * a comité's workbook of the pistes or of the fiches actions: the diagnostic départements of its rows;
--   * any other file is a public, national or multi-territory publication (INSEE, CAF, France Travail,
--     data·inclusion, Soliguide, geography): it speaks for every diagnostic département.
-- A dispositifs or documents file attached to no département gets no row here: administrators only.
with dispositifs as (
    select distinct d._sha256 as sha256, dd.code_departement, 'dispositifs du fichier' as rattachement
    from {{ source('dispositifs', 'dispositifs') }} as d
    inner join {{ ref('int_dispositifs__departements') }} as dd
        on dd.dispositif_id = md5(d.intitule || '|' || d.porteur)
),

documents as (
    select distinct d.sha256, dd.code_departement, 'département du document' as rattachement
    from {{ source('documents', 'documents') }} as d
    inner join {{ ref('int_documents__departements') }} as dd using (document_id)
),

pistes as (
    select distinct p._sha256 as sha256, p.code_departement, 'département du classeur des pistes' as rattachement
    from {{ source('pistes', 'pistes_comite') }} as p
    where p.code_departement in {{ departements_sql() }}
),

fiches as (
    select distinct f._sha256 as sha256, f.code_departement, 'département des fiches actions' as rattachement
    from {{ source('fiches_actions', 'fiches_actions') }} as f
    where f.code_departement in {{ departements_sql() }}
)

select sha256, code_departement, rattachement from dispositifs
union all
select sha256, code_departement, rattachement from fiches
union all
select sha256, code_departement, rattachement from documents
union all
select sha256, code_departement, rattachement from pistes
