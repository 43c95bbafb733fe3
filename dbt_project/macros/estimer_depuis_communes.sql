{#
  Estimate a territory's indicators from its communes, never by averaging rates:
  - taux_personnes: Σ(taux × personnes) / Σ(personnes) over communes whose rate is published;
  - somme: Σ(valeur) over published communes;
  - non_additif (medians, deciles, sub-population rates): not estimated (statut non_disponible).
  `part_population_couverte` = share of the territory's persons (ménages fiscaux) in communes with a
  published value. A secret never becomes a number: with no published commune the statut is secret.
#}
{% macro estimer_depuis_communes(relation, group_cols) %}
select
    {% for c in group_cols %}{{ c }}, {% endfor %}
    c.millesime,
    c.indicateur_id,
    case r.agregation
        when 'taux_personnes' then
            sum(c.valeur * c.personnes) filter (where c.valeur is not null and c.personnes is not null)
            / nullif(sum(c.personnes) filter (where c.valeur is not null and c.personnes is not null), 0)
        when 'somme' then sum(c.valeur) filter (where c.valeur is not null)
    end as valeur,
    case
        when r.agregation = 'non_additif' then 'non_disponible'
        when count(c.valeur) = 0 then case when bool_or(c.statut = 'secret') then 'secret' else 'non_disponible' end
        when r.agregation = 'somme' and c.indicateur_id <> 'nb_personnes_pauvres'
             and count(c.valeur) = count(*) and bool_and(c.statut = 'ok') then 'ok'
        else 'estime'
    end as statut,
    case when r.agregation <> 'non_additif' then
        round(100.0 * sum(c.personnes) filter (where c.valeur is not null) / nullif(sum(c.personnes), 0), 1)
    end as part_population_couverte,
    bool_or(c.donnees_synthetiques) as donnees_synthetiques
from {{ relation }} as c
join {{ ref('ref_indicateurs') }} as r using (indicateur_id)
group by {% for c in group_cols %}{{ c }}, {% endfor %}c.millesime, c.indicateur_id, r.agregation
{% endmacro %}
