with geo as (
    select * from {{ ref('int_geo__communes_epci') }}
    where code_departement in {{ departements_sql() }}
),
territoires as (select * from {{ ref('int_besoins__indicateurs_territoires') }}),
lignes as (
select
    g.code_commune::varchar as code_commune,
    g.libelle::varchar as libelle,
    g.code_epci::varchar as code_epci,
    g.libelle_epci::varchar as libelle_epci,
    g.code_departement::varchar as code_departement,
    c.indicateur_id::varchar as indicateur_id,
    r.libelle::varchar as libelle_indicateur,
    r.unite::varchar as unite,
    r.axe::varchar as axe,
    r.theme::varchar as theme,
    round(c.valeur, 4)::double as valeur,
    round(c.numerateur, 4)::double as numerateur,
    round(c.denominateur, 4)::double as denominateur,
    c.millesime::integer as millesime,
    c.periode::varchar as periode,
    {{ millesime_cog() }}::integer as geo_millesime,
    c.statut::varchar as statut,
    null::double as part_population_couverte,
    round(d.valeur, 4)::double as valeur_departement,
    round(f.valeur, 4)::double as valeur_france,
    r.source::varchar as source,
    coalesce(c.donnees_synthetiques, false)::boolean as donnees_synthetiques
from geo as g
join {{ ref('int_besoins__indicateurs_commune') }} as c using (code_commune)
join {{ ref('ref_indicateurs') }} as r using (indicateur_id)
left join territoires as d
    on d.niveau = 'departement' and d.code_territoire = g.code_departement and d.millesime = c.millesime
    and d.periode is not distinct from c.periode and d.indicateur_id = c.indicateur_id
left join territoires as f
    on f.niveau = 'france' and f.millesime = c.millesime and f.periode is not distinct from c.periode
    and f.indicateur_id = c.indicateur_id
)
select
    l.*,
    a.libelle_axe::varchar as libelle_axe,
    {{ est_dernier_millesime('l.indicateur_id', 'l.millesime', 'l.periode', 'l.valeur') }}::boolean as est_dernier_millesime,
    {{ valeur_texte('l.valeur', 'l.statut', 'u.decimales') }}::varchar as valeur_texte,
    {{ millesime_periode('l.millesime', 'l.periode') }}::varchar as millesime_periode,
    {{ nombre_texte('l.valeur_departement', 'u.decimales') }}::varchar as valeur_departement_texte,
    {{ statut_libelle('l.statut') }}::varchar as statut_libelle
from lignes as l
left join {{ ref('ref_axes') }} as a using (axe)
left join {{ ref('ref_unites') }} as u using (unite)
