-- Where each EPCI stands: rank and z-score among the EPCI of a diagnostic département, percentile among
-- all EPCI of France, and the « situation sensible » alert (rule in dbt_project.yml vars, shown on dashboards).
{%- set regle = var('situation_sensible') %}
with epci as (
    select t.* exclude (periode), coalesce(t.periode, '') as periode, r.sens,
           case r.sens when 'hausse_defavorable' then t.valeur when 'baisse_defavorable' then -t.valeur end
               as valeur_orientee
    from {{ ref('int_besoins__indicateurs_territoires') }} as t
    join {{ ref('ref_indicateurs') }} as r using (indicateur_id)
    where t.niveau = 'epci'
),
national as (
    select code_territoire as code_epci, indicateur_id, millesime, periode,
           round(100 * percent_rank() over (
               partition by indicateur_id, millesime, periode order by valeur_orientee), 1) as percentile_national
    from epci where valeur_orientee is not null
),
epci_departement as (select * from {{ ref('int_geo__epci_diagnostic') }}),
departemental as (
    select d.code_epci, d.code_departement, e.indicateur_id, e.millesime, e.periode, e.valeur_orientee,
           rank() over w as rang_departement,
           (e.valeur_orientee - avg(e.valeur_orientee) over w2) / nullif(stddev_pop(e.valeur_orientee) over w2, 0)
               as zscore_oriente
    from epci_departement as d
    join epci as e on e.code_territoire = d.code_epci
    where e.valeur_orientee is not null
    window w as (partition by d.code_departement, e.indicateur_id, e.millesime, e.periode
                 order by e.valeur_orientee desc),
           w2 as (partition by d.code_departement, e.indicateur_id, e.millesime, e.periode)
)
select
    d.code_epci, d.code_departement, d.indicateur_id, d.millesime, nullif(d.periode, '') as periode,
    d.rang_departement,
    round(d.zscore_oriente, 2) as zscore_departement,
    n.percentile_national,
    coalesce(n.percentile_national >= {{ regle['percentile_national'] }}
             or d.zscore_oriente >= {{ regle['zscore_departement'] }}, false) as alerte,
    case
        when n.percentile_national >= {{ regle['percentile_national'] }} and d.zscore_oriente >= {{ regle['zscore_departement'] }}
            then 'Parmi les ' || {{ 100 - regle['percentile_national'] }} || ' % d''EPCI les plus défavorisés de France (percentile '
                 || n.percentile_national || ') et ' || round(d.zscore_oriente, 1) || ' écart-type plus défavorable que la moyenne départementale'
        when n.percentile_national >= {{ regle['percentile_national'] }}
            then 'Parmi les ' || {{ 100 - regle['percentile_national'] }} || ' % d''EPCI les plus défavorisés de France (percentile '
                 || n.percentile_national || ')'
        when d.zscore_oriente >= {{ regle['zscore_departement'] }}
            then round(d.zscore_oriente, 1) || ' écart-type plus défavorable que la moyenne des EPCI du département'
    end as motif
from departemental as d
left join national as n using (code_epci, indicateur_id, millesime, periode)
