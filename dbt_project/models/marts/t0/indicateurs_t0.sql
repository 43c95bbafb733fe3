-- T0-ready long table: every indicator per territory (EPCI and département of the diagnostic) with its
-- provenance (checksums of the source files, millésime, COG vintage, build id). A later issue freezes it
-- as the T0 and compares it with the re-run three years later; several millésimes live side by side.
with territoires as (select * from {{ ref('int_besoins__indicateurs_territoires') }}),
epci_departement as (select * from {{ ref('int_geo__epci_diagnostic') }}),
departements as (
    select distinct code_departement, libelle_departement from {{ ref('int_geo__communes_epci') }}
    where code_departement in {{ departements_sql() }}
),
sources_fichiers as (
    -- provenance has one row per file and département: each file once
    select source_id, string_agg(distinct sha256, ',' order by sha256) as sha256
    from {{ ref('int_controle__provenance') }} group by source_id
),
sources_indicateurs as (
    select m.indicateur_id, string_agg(distinct s.sha256, ',' order by s.sha256) as sources_sha256
    from {{ ref('map_variables__indicateurs') }} as m
    join sources_fichiers as s using (source_id)
    group by m.indicateur_id
),
lignes as (
    select 'epci' as niveau, e.code_epci as code_territoire, e.libelle_epci as libelle, e.code_departement, t.*
        exclude (niveau, code_territoire)
    from epci_departement as e join territoires as t on t.niveau = 'epci' and t.code_territoire = e.code_epci
    union all by name
    select 'departement' as niveau, d.code_departement as code_territoire, d.libelle_departement as libelle,
        d.code_departement, t.* exclude (niveau, code_territoire)
    from departements as d join territoires as t on t.niveau = 'departement' and t.code_territoire = d.code_departement
),
t0 as (
select
    l.niveau::varchar as niveau,
    l.code_territoire::varchar as code_territoire,
    l.libelle::varchar as libelle,
    l.code_departement::varchar as code_departement,
    l.indicateur_id::varchar as indicateur_id,
    r.libelle::varchar as libelle_indicateur,
    r.unite::varchar as unite,
    r.axe::varchar as axe,
    round(l.valeur, 4)::double as valeur,
    round(l.numerateur, 4)::double as numerateur,
    round(l.denominateur, 4)::double as denominateur,
    l.statut::varchar as statut,
    l.ponderation::varchar as ponderation,
    l.millesime::integer as millesime,
    l.periode::varchar as periode,
    {{ millesime_cog() }}::integer as geo_millesime,
    -- the population légale's files are a source of a rate they weight
    coalesce(concat_ws(',', coalesce(si.sources_sha256, case when l.indicateur_id = 'nb_personnes_pauvres' then sf.sha256 end),
                       case when l.ponderation = 'population_legale' then pl.sha256 end), '')::varchar
        as sources_sha256,
    {{ build_id() }}::varchar as build_id,
    coalesce(l.donnees_synthetiques, false)::boolean as donnees_synthetiques
from lignes as l
join {{ ref('ref_indicateurs') }} as r using (indicateur_id)
left join sources_indicateurs as si using (indicateur_id)
left join sources_fichiers as sf on sf.source_id = 'insee_filosofi'
left join sources_fichiers as pl on pl.source_id = 'insee_populations_legales'
)
select
    t.*,
    a.libelle_axe::varchar as libelle_axe,
    {{ est_dernier_millesime('t.indicateur_id', 't.millesime', 't.periode', 't.valeur') }}::boolean as est_dernier_millesime,
    {{ valeur_texte('t.valeur', 't.statut', 'u.decimales') }}::varchar as valeur_texte,
    {{ millesime_periode('t.millesime', 't.periode') }}::varchar as millesime_periode,
    {{ statut_libelle('t.statut') }}::varchar as statut_libelle
from t0 as t
left join {{ ref('ref_axes') }} as a using (axe)
left join {{ ref('ref_unites') }} as u using (unite)
