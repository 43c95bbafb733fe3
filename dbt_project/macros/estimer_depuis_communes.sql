{#
  Estimate a territory's indicators from its communes, never by averaging rates:
  - taux_personnes: Σ(taux × poids) / Σ(poids) over communes whose rate is published, poids = the persons, else
    (no persons of that millésime loaded, e.g. a Pauvres file alone) the fiscal households, else the population
    légale of the same millésime; `ponderation` says which, `aucune` when none was loaded (value unknown);
  - ratio: facteur × Σ(numérateurs) / Σ(dénominateurs) over communes where both are known;
  - somme: Σ(valeur) over published communes;
  - personnes_extrapolees (counts derived from a rate, e.g. poor persons = TP60 × persons / 100):
    Σ(valeur) / Σ(personnes) over communes whose value is published — the rate of the covered communes —
    × Σ(personnes) of every commune of the territory. Secret communes are neither 0 nor left out: they are
    counted at the covered communes' rate, never a partial sum presented as a total (communes whose very
    number of persons is secret, the smallest, are outside both sums);
  - moyenne_population: Σ(valeur × population) / Σ(population) (distances);
  - non_additif (medians, deciles, sub-population rates): not estimated (statut non_disponible).
  `part_population_couverte` = share of the territory's persons (ménages fiscaux; for ratios: of the
  denominator) in communes with a published value. With no published commune the statut is secret:
  a secret never becomes a number. statut is `ok` only for exact sums/ratios covering every commune.
#}
{% macro estimer_depuis_communes(relation, group_cols) %}
{%- set g -%}{% for c in group_cols %}{{ c }}, {% endfor %}{%- endset -%}
select
    {{ g }}
    c.indicateur_id,
    c.millesime,
    c.periode,
    case r.agregation
        when 'taux_personnes' then
            sum(c.valeur * coalesce(c.poids, c.personnes)) filter (where c.valeur is not null and coalesce(c.poids, c.personnes) is not null)
            / nullif(sum(coalesce(c.poids, c.personnes)) filter (where c.valeur is not null and coalesce(c.poids, c.personnes) is not null), 0)
        when 'ratio' then
            any_value(r.facteur) * sum(c.numerateur) filter (where c.valeur is not null)
            / nullif(sum(c.denominateur) filter (where c.valeur is not null), 0)
        when 'somme' then sum(c.valeur) filter (where c.valeur is not null)
        when 'personnes_extrapolees' then
            sum(c.valeur) filter (where c.valeur is not null and c.personnes is not null)
            / nullif(sum(c.personnes) filter (where c.valeur is not null and c.personnes is not null), 0)
            * sum(c.personnes)
        when 'moyenne_population' then
            sum(c.valeur * c.personnes) filter (where c.valeur is not null and c.personnes is not null)
            / nullif(sum(c.personnes) filter (where c.valeur is not null and c.personnes is not null), 0)
    end as valeur,
    case when r.agregation = 'ratio' then sum(c.numerateur) filter (where c.valeur is not null) end as numerateur,
    case when r.agregation = 'ratio' then sum(c.denominateur) filter (where c.valeur is not null) end as denominateur,
    case
        when r.agregation = 'non_additif' then 'non_disponible'
        when count(c.valeur) = 0 then case when bool_or(c.statut = 'secret') then 'secret' else 'non_disponible' end
        when r.agregation in ('somme', 'ratio') and count(c.valeur) = count(*) and bool_and(c.statut = 'ok')
            then 'ok'
        else 'estime'
    end as statut,
    case
        when r.agregation = 'taux_personnes' then
            round(100.0 * sum(coalesce(c.poids, c.personnes)) filter (where c.valeur is not null)
                  / nullif(sum(coalesce(c.poids, c.personnes)), 0), 1)
        when r.agregation in ('personnes_extrapolees', 'somme', 'moyenne_population') then
            round(100.0 * sum(c.personnes) filter (where c.valeur is not null) / nullif(sum(c.personnes), 0), 1)
        when r.agregation = 'ratio' then
            round(100.0 * sum(c.denominateur) filter (where c.valeur is not null)
                  / nullif(sum(c.denominateur), 0), 1)
    end as part_population_couverte,
    case when r.agregation = 'taux_personnes' then
        case when count(coalesce(c.poids, c.personnes)) = 0 then 'aucune'
             else coalesce(any_value(c.ponderation) filter (where coalesce(c.poids, c.personnes) is not null), 'personnes') end
    end as ponderation,
    bool_or(c.donnees_synthetiques) as donnees_synthetiques
from {{ relation }} as c
join {{ ref('ref_indicateurs') }} as r using (indicateur_id)
group by {{ g }} c.indicateur_id, c.millesime, c.periode, r.agregation
{% endmacro %}
