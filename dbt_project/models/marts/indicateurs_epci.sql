-- One row per EPCI × département of the diagnostic it touches × indicator × millésime.
with epci_departement as (
    select distinct code_epci, libelle_epci, code_departement
    from {{ ref('int_geo__communes_epci') }}
    where code_departement in {{ departements_sql() }} and code_epci is not null
),
ref_territoires as (select * from {{ ref('int_besoins__indicateurs_territoires') }})
select
    e.code_epci::varchar as code_epci,
    e.libelle_epci::varchar as libelle,
    e.code_departement::varchar as code_departement,
    t.indicateur_id::varchar as indicateur_id,
    r.libelle::varchar as libelle_indicateur,
    r.unite::varchar as unite,
    round(t.valeur, 4)::double as valeur,
    t.millesime::integer as millesime,
    {{ var('geo_millesime') }}::integer as geo_millesime,
    t.statut::varchar as statut,
    t.part_population_couverte::double as part_population_couverte,
    round(d.valeur, 4)::double as valeur_departement,
    round(f.valeur, 4)::double as valeur_france,
    r.source::varchar as source,
    coalesce(t.donnees_synthetiques, false)::boolean as donnees_synthetiques
from epci_departement as e
join ref_territoires as t on t.niveau = 'epci' and t.code_territoire = e.code_epci
join {{ ref('ref_indicateurs') }} as r using (indicateur_id)
left join ref_territoires as d
    on d.niveau = 'departement' and d.code_territoire = e.code_departement
    and d.millesime = t.millesime and d.indicateur_id = t.indicateur_id
left join ref_territoires as f
    on f.niveau = 'france' and f.millesime = t.millesime and f.indicateur_id = t.indicateur_id
