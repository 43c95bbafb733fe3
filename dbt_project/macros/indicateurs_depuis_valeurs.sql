{#
  Indicators from long source rows (`relation`: key columns + code_geo, source_id, variable, millesime,
  periode, valeur, statut, donnees_synthetiques), following seeds ref_indicateurs + map_variables__indicateurs:
  - role `valeur` (methode publie/somme): one published variable. Several code_geo under one key (communes
    merged since the data vintage) are recombined: sums for additive counts, Σ(taux × personnes)/Σ(personnes)
    for `taux_personnes` rates (statut estime; the weight is the best count of the same millésime, see poids), nothing for non-additive values (non_disponible);
  - roles `numerateur`/`denominateur` (methode ratio): facteur × Σ(signe × num) / Σ(den); the denominator
    millésime is the latest one ≤ the numerator's (else the earliest), chosen once per indicator so that every
    territory uses the same; a masked component leaves the ratio unknown (secret), never 0.
  Output: key columns, indicateur_id, millesime, periode, valeur, numerateur, denominateur, statut, personnes,
  poids and ponderation (weight of a `taux_personnes` rate: `personnes`, `menages`, `population_legale` of the
  same millésime, or `aucune`), nb_codes, donnees_synthetiques.
#}
{% macro indicateurs_depuis_valeurs(relation, keys) %}
{%- set k = keys | join(', ') -%}
{%- set kj -%}{% for c in keys %}n.{{ c }} = d.{{ c }}{% if not loop.last %} and {% endif %}{% endfor %}{%- endset -%}
(
-- `v` and `simples` are read several times: DuckDB would materialize each whole in memory (5–7 M rows for all
-- France with ten years of commune panels: out of memory at the 900MB cap). Recomputing them streams and
-- spills instead, the whole macro then fits in 300MB at that size (13.8 s instead of 13.2 s uncapped).
with v as not materialized (select * from {{ relation }}),
m as (select * from {{ ref('map_variables__indicateurs') }}),
r as (select * from {{ ref('ref_indicateurs') }}),
-- Weights of a rate: the best denominator of the same millésime the loaded files hold, chosen once per
-- millésime so that every territory uses the same: persons of the fiscal households (cc or DISP file), else
-- fiscal households (DISP file: the Pauvres files publish no count), else the population légale.
candidats_poids as (
    select {{ k }}, v.code_geo, v.millesime, v.valeur, v.variable,
           case m.indicateur_id when 'nb_personnes_menages_fiscaux' then 1 when 'nb_menages_fiscaux' then 2
                else 3 end as rang
    from v join m using (source_id, variable)
    where m.role = 'valeur' and v.statut = 'ok' and v.valeur is not null
      and (m.indicateur_id in ('nb_personnes_menages_fiscaux', 'nb_menages_fiscaux')
           or (m.indicateur_id = 'pop_municipale' and v.source_id = 'insee_populations_legales'))
    qualify row_number() over (partition by {{ k }}, v.code_geo, v.millesime, rang order by v.variable) = 1
),
rang_poids as (
    select millesime, min(rang) as rang from candidats_poids group by millesime
),
poids as (
    select c.* exclude (valeur, rang, variable), c.valeur as poids,
           case c.rang when 1 then 'personnes' when 2 then 'menages' else 'population_legale' end as ponderation,
           case when c.rang = 1 then c.valeur end as personnes
    from candidats_poids as c join rang_poids using (millesime, rang)
),
simples as not materialized (
    select {% for c in keys %}v.{{ c }}, {% endfor %}v.code_geo, m.indicateur_id, v.millesime,
           coalesce(v.periode, '') as periode, v.valeur, v.statut, v.donnees_synthetiques, p.personnes, r.agregation,
           case when r.agregation = 'taux_personnes' then p.poids end as poids,
           case when r.agregation = 'taux_personnes' then coalesce(p.ponderation, 'aucune') end as ponderation
    from v
    join m on m.source_id = v.source_id and m.variable = v.variable and m.role = 'valeur'
    join r using (indicateur_id)
    left join poids as p on {% for c in keys %}p.{{ c }} = v.{{ c }} and {% endfor %}p.code_geo = v.code_geo and p.millesime = v.millesime
),
pauvres as (
    -- nb_personnes_pauvres = TP60 × NBPERSMENFISC / 100: a secret rate stays secret.
    select {{ k }}, code_geo, 'nb_personnes_pauvres' as indicateur_id, millesime, periode,
           case when statut = 'ok' and personnes is not null then valeur * personnes / 100 end as valeur,
           case when statut = 'ok' and personnes is null then 'non_disponible' else statut end as statut,
           donnees_synthetiques, personnes, 'somme' as agregation
    from simples where indicateur_id = 'taux_pauvrete_60'
),
valeurs as (
    select * from simples union all by name select * from pauvres
),
valeurs_agregees as (
    select {{ k }}, indicateur_id, millesime, periode,
        case
            when count(*) = 1 then any_value(valeur)
            when any_value(agregation) = 'somme' and bool_and(statut = 'ok') then sum(valeur)
            when any_value(agregation) = 'taux_personnes' and bool_and(statut = 'ok' and poids is not null)
                then sum(valeur * poids) / nullif(sum(poids), 0)
        end as valeur,
        null::double as numerateur, null::double as denominateur,
        case
            when count(*) = 1 then any_value(statut)
            when any_value(agregation) = 'non_additif' then 'non_disponible'
            when bool_and(statut = 'ok') and (any_value(agregation) = 'somme' or bool_and(poids is not null)) then 'estime'
            when bool_or(statut = 'secret') then 'secret'
            else 'non_disponible'
        end as statut,
        sum(personnes) as personnes,
        sum(poids) as poids,
        any_value(ponderation) as ponderation,
        count(*) as nb_codes,
        bool_or(donnees_synthetiques) as donnees_synthetiques
    from valeurs
    group by {{ k }}, indicateur_id, millesime, periode
),
composantes as (
    select {% for c in keys %}v.{{ c }}, {% endfor %}m.indicateur_id, m.role, v.millesime,
           case when m.role = 'denominateur' then '' else coalesce(v.periode, '') end as periode,
           sum(m.signe * v.valeur) as valeur,
           bool_and(v.statut = 'ok') as tout_ok,
           bool_or(v.statut = 'secret') as un_secret,
           count(distinct v.variable) as nb_variables,
           count(distinct v.code_geo) as nb_codes,
           bool_or(v.donnees_synthetiques) as donnees_synthetiques
    from v
    join m on m.source_id = v.source_id and m.variable = v.variable and m.role in ('numerateur', 'denominateur')
    group by all
),
attendues as (
    select indicateur_id, role, count(distinct variable) as nb_variables
    from m where role in ('numerateur', 'denominateur') group by all
),
completes as (
    select c.*, c.tout_ok and c.nb_variables = a.nb_variables as complete
    from composantes as c join attendues as a using (indicateur_id, role)
),
millesime_den as (
    select n.indicateur_id, n.millesime,
           coalesce(max(d.millesime) filter (where d.millesime <= n.millesime), min(d.millesime)) as millesime_den
    from (select distinct indicateur_id, millesime from completes where role = 'numerateur') as n
    join (select distinct indicateur_id, millesime from completes where role = 'denominateur') as d using (indicateur_id)
    group by all
),
ratios as (
    select {% for c in keys %}n.{{ c }}, {% endfor %}n.indicateur_id, n.millesime, n.periode,
        case when n.complete and d.complete and d.valeur > 0 then r.facteur * n.valeur / d.valeur end as valeur,
        case when n.complete then n.valeur end as numerateur,
        case when d.complete then d.valeur end as denominateur,
        case
            when n.complete and d.complete and d.valeur > 0 then case when greatest(n.nb_codes, d.nb_codes) > 1 then 'estime' else 'ok' end
            when n.un_secret or d.un_secret then 'secret'
            else 'non_disponible'
        end as statut,
        null::double as personnes,
        greatest(n.nb_codes, d.nb_codes) as nb_codes,
        n.donnees_synthetiques or d.donnees_synthetiques as donnees_synthetiques
    from completes as n
    join millesime_den as md on md.indicateur_id = n.indicateur_id and md.millesime = n.millesime
    join completes as d on {{ kj }} and d.indicateur_id = n.indicateur_id and d.role = 'denominateur'
        and d.millesime = md.millesime_den
    join r on r.indicateur_id = n.indicateur_id
    where n.role = 'numerateur'
)
select * from valeurs_agregees
union all by name
select * from ratios
)
{% endmacro %}
