-- Étape 3 per EPCI: each candidate piste × each EPCI of the département where its need is « non couvert » or
-- « partiellement couvert » (int_pistes__ecarts_epci), with the piste's rank, score and the comité's decision,
-- so a comité can read which pistes concern an EPCI (the « EPCI » filter of the dashboards).
with population_epci as (
    select code_epci, code_departement, max(population) as population
    from {{ ref('int_offre__offre_epci') }}
    group by all
)
select
    e.code_departement::varchar as code_departement,
    e.code_epci::varchar as code_epci,
    e.libelle::varchar as libelle,
    p.axe::varchar as axe,
    p.libelle_axe::varchar as libelle_axe,
    p.piste_id::varchar as piste_id,
    p.intitule::varchar as intitule,
    p.rang::integer as rang,
    p.score::double as score,
    p.decision::varchar as decision,
    (case e.niveau when 0 then 'non couvert' else 'partiellement couvert' end)::varchar as niveau_couverture,
    round(e.ecart, 2)::double as ecart,
    pe.population::bigint as population
from {{ ref('int_pistes__ecarts_epci') }} as e
join {{ ref('int_pistes__pistes') }} as p using (piste_id, code_departement)
left join population_epci as pe using (code_epci, code_departement)
where e.niveau < 2
