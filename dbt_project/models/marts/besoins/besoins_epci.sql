-- Needs per EPCI and theme (the 7 aggravating-factor themes of the INSEE panoramas + pauvreté monétaire),
-- on the latest millésime (and période) of each indicator: how many indicators are sensitive, which ones.
{%- set regle = var('situation_sensible') %}
with derniers as (
    select * from {{ ref('int_besoins__indicateurs_epci') }}
    where theme <> 'population'
    qualify rank() over (partition by code_epci, code_departement, indicateur_id
                         order by millesime desc, periode desc nulls last) = 1
),
population as (
    -- the latest millésime where each is known, never a maximum over years
    select code_epci, code_departement,
           arg_max(valeur, millesime) filter (where indicateur_id = 'pop_municipale' and valeur is not null) as pop,
           arg_max(valeur, millesime) filter (where indicateur_id = 'nb_personnes_menages_fiscaux' and valeur is not null)
               as personnes
    from {{ ref('int_besoins__indicateurs_epci') }}
    group by all
)
select
    d.code_epci::varchar as code_epci,
    any_value(d.libelle)::varchar as libelle,
    d.code_departement::varchar as code_departement,
    d.theme::varchar as theme,
    count(d.valeur)::integer as nb_indicateurs,
    count(*) filter (where d.alerte)::integer as nb_indicateurs_sensibles,
    coalesce(string_agg(d.libelle_indicateur || ' (' || d.motif || ')', ' ; ' order by d.libelle_indicateur)
             filter (where d.alerte), '')::varchar as indicateurs_sensibles,
    bool_or(d.alerte)::boolean as situation_sensible,
    ('Indicateur parmi les ' || {{ 100 - regle['percentile_national'] }} || ' % d''EPCI les plus défavorisés de France, '
     || 'ou au moins ' || {{ regle['zscore_departement'] }} || ' écart-type plus défavorable que la moyenne des EPCI du département')::varchar
        as regle,
    round(coalesce(any_value(p.pop), any_value(p.personnes)))::bigint as population,
    bool_or(d.donnees_synthetiques)::boolean as donnees_synthetiques
from derniers as d
left join population as p using (code_epci, code_departement)
group by d.code_epci, d.code_departement, d.theme
