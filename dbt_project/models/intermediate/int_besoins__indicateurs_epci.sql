-- The EPCI indicators as published in marts.indicateurs_epci, and read by the marts built on them (needs,
-- gaps, maps), which never read another mart.
-- One row per EPCI × diagnostic département it touches × indicator × millésime (× période).
with epci_departement as (select * from {{ ref('int_geo__epci_diagnostic') }}),
territoires as (select * from {{ ref('int_besoins__indicateurs_territoires') }}),
-- Every EPCI of the diagnostic for every indicator × millésime × période published for some EPCI: an EPCI
-- none of whose communes is in a file (small communes left out, a file cut to part of the département)
-- appears with its value unknown and the reason, instead of missing (which made the build fail).
epci_valeurs as (
    select 'epci' as niveau, e.code_epci as code_territoire, c.indicateur_id, c.millesime, c.periode,
           t.valeur, t.numerateur, t.denominateur, coalesce(t.statut, 'non_disponible') as statut,
           t.part_population_couverte, t.donnees_synthetiques,
           case when t.indicateur_id is null
                then 'aucune donnée pour les communes de cet EPCI dans les fichiers chargés'
                else {{ precision_ponderation('t.ponderation', 't.millesime') }} end as precision_statut
    from (select distinct code_epci from epci_departement) as e
    cross join (select distinct indicateur_id, millesime, periode from territoires where niveau = 'epci') as c
    left join territoires as t
        on t.niveau = 'epci' and t.code_territoire = e.code_epci and t.indicateur_id = c.indicateur_id
        and t.millesime = c.millesime and t.periode is not distinct from c.periode
),
lignes as (
select
    e.code_epci::varchar as code_epci,
    e.libelle_epci::varchar as libelle,
    e.code_departement::varchar as code_departement,
    t.indicateur_id::varchar as indicateur_id,
    r.libelle::varchar as libelle_indicateur,
    r.unite::varchar as unite,
    r.axe::varchar as axe,
    r.theme::varchar as theme,
    r.profil::varchar as profil,
    r.sens::varchar as sens,
    round(t.valeur, 4)::double as valeur,
    round(t.numerateur, 4)::double as numerateur,
    round(t.denominateur, 4)::double as denominateur,
    t.millesime::integer as millesime,
    t.periode::varchar as periode,
    {{ millesime_cog() }}::integer as geo_millesime,
    t.statut::varchar as statut,
    t.precision_statut::varchar as precision_statut,
    t.part_population_couverte::double as part_population_couverte,
    round(d.valeur, 4)::double as valeur_departement,
    round(f.valeur, 4)::double as valeur_france,
    s.rang_departement::integer as rang_departement,
    s.zscore_departement::double as zscore_departement,
    s.percentile_national::double as percentile_national,
    coalesce(s.alerte, false)::boolean as alerte,
    s.motif::varchar as motif,
    r.source::varchar as source,
    coalesce(t.donnees_synthetiques, false)::boolean as donnees_synthetiques
from epci_departement as e
join epci_valeurs as t on t.code_territoire = e.code_epci
join {{ ref('ref_indicateurs') }} as r using (indicateur_id)
left join territoires as d
    on d.niveau = 'departement' and d.code_territoire = e.code_departement and d.millesime = t.millesime
    and d.periode is not distinct from t.periode and d.indicateur_id = t.indicateur_id
left join territoires as f
    on f.niveau = 'france' and f.millesime = t.millesime and f.periode is not distinct from t.periode
    and f.indicateur_id = t.indicateur_id
left join {{ ref('int_besoins__statistiques_epci') }} as s
    on s.code_epci = e.code_epci and s.code_departement = e.code_departement and s.indicateur_id = t.indicateur_id
    and s.millesime = t.millesime and s.periode is not distinct from t.periode
)
select
    l.*,
    a.libelle_axe::varchar as libelle_axe,
    round(l.valeur - l.valeur_departement, 4)::double as ecart_departement,
    {{ est_dernier_millesime('l.indicateur_id', 'l.millesime', 'l.periode', 'l.valeur') }}::boolean as est_dernier_millesime,
    {{ valeur_texte('l.valeur', 'l.statut', 'u.decimales') }}::varchar as valeur_texte,
    {{ millesime_periode('l.millesime', 'l.periode') }}::varchar as millesime_periode,
    {{ nombre_texte('l.valeur_departement', 'u.decimales') }}::varchar as valeur_departement_texte,
    {{ nombre_texte('l.valeur_france', 'u.decimales') }}::varchar as valeur_france_texte,
    {{ statut_libelle('l.statut') }}::varchar as statut_libelle
from lignes as l
left join {{ ref('ref_axes') }} as a using (axe)
left join {{ ref('ref_unites') }} as u using (unite)
