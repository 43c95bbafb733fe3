-- T0 / T+3 comparison published by bin/pacte compare: one row per comparison × territory (T+3 geography) ×
-- indicator, with both values and millésimes, the change where it means something, its direction (sens de
-- lecture of the catalogue), the comparability status and the rule that decided it, and the geography used.
with c as (select * from {{ ref('int_t0__comparaison') }}),
evolutions as (
    select c.*,
        case when statut_comparabilite in ('comparable', 'rebase') and valeur_t0 is not null and valeur_t3 is not null
             then valeur_t3 - valeur_t0 end as evolution
    from c
),
directions as (
    select e.*,
        case when e.evolution is null then null
             when e.evolution = 0 or (e.valeur_t0 <> 0 and 100 * abs(e.evolution) / abs(e.valeur_t0)
                                      < {{ var('comparaison_t0')['seuil_stable_pct'] }}) then 'stable'
             when e.sens = 'neutre' then case when e.evolution > 0 then 'hausse' else 'baisse' end
             when (e.evolution > 0) = (e.sens = 'hausse_defavorable') then 'degradation'
             else 'amelioration' end as direction
    from evolutions as e
)
select
    e.label_t0::varchar as label_t0,
    coalesce(e.label_t3, 'version publiée')::varchar as comparee_a,
    e.dep::varchar as code_departement,
    e.niveau::varchar as niveau,
    e.code_territoire::varchar as code_territoire,
    e.libelle::varchar as libelle,
    e.indicateur_id::varchar as indicateur_id,
    e.libelle_indicateur::varchar as libelle_indicateur,
    e.unite::varchar as unite,
    e.axe::varchar as axe,
    a.libelle_axe::varchar as libelle_axe,
    e.sens::varchar as sens,
    round(e.valeur_t0, 4)::double as valeur_t0,
    e.millesime_t0::integer as millesime_t0,
    {{ millesime_periode('e.millesime_t0', 'e.periode_t0') }}::varchar as millesime_periode_t0,
    round(e.valeur_t3, 4)::double as valeur_t3,
    e.millesime_t3::integer as millesime_t3,
    {{ millesime_periode('e.millesime_t3', 'e.periode_t3') }}::varchar as millesime_periode_t3,
    round(e.evolution, 4)::double as evolution_absolue,
    round(case when e.evolution is not null and e.valeur_t0 <> 0 then 100 * e.evolution / abs(e.valeur_t0) end, 2)::double
        as evolution_relative,
    e.direction::varchar as direction,
    e.statut_comparabilite::varchar as statut_comparabilite,
    (case e.statut_comparabilite when 'comparable' then 'comparable'
        when 'rebase' then 'comparable après recalcul du T0'
        when 'niveau_seul' then 'niveaux seulement (évolution non calculée)'
        when 'rupture' then 'rupture de série (évolution non calculée)' end)::varchar as statut_comparabilite_libelle,
    e.regle_id::varchar as regle_id,
    e.regle_explication::varchar as regle_explication,
    e.origine_t0::varchar as origine_t0,
    e.geo_millesime_t0::integer as geo_millesime_t0,
    e.geo_millesime_t3::integer as geo_millesime_t3,
    e.perimetre_modifie::boolean as perimetre_modifie,
    e.communes_t3::integer as communes_t3,
    e.communes_ajoutees::integer as communes_ajoutees,
    e.communes_retirees::integer as communes_retirees,
    round(case when e.origine_t0 = 'reagregee' then e.part_reexprimee end, 1)::double as part_population_reexprimee,
    e.communes_t0_non_rattachees::integer as communes_t0_non_rattachees,
    e.codes_t0_non_rattaches::varchar as codes_t0_non_rattaches,
    (case when not e.perimetre_modifie
            then 'COG ' || e.geo_millesime_t3 || ' ; mêmes communes au COG ' || e.geo_millesime_t0
                 || ' (' || e.communes_t3 || ' communes)'
          when e.origine_t0 = 'reagregee'
            then 'COG ' || e.geo_millesime_t3 || ' ; T0 recalculé sur les ' || e.communes_t3 || ' communes du COG '
                 || e.geo_millesime_t3 || ' (' || e.communes_ajoutees || ' ajoutée(s), ' || e.communes_retirees
                 || ' retirée(s) par rapport au COG ' || e.geo_millesime_t0 || ' ; '
                 || coalesce(round(e.part_reexprimee, 1)::varchar, '0') || ' % de la population du T0 ré-exprimée)'
          else 'COG ' || e.geo_millesime_t3 || ' ; périmètre différent au COG ' || e.geo_millesime_t0 || ' ('
                 || e.communes_ajoutees || ' commune(s) ajoutée(s), ' || e.communes_retirees
                 || ' retirée(s)) : T0 sur son propre périmètre' end)::varchar as geographie,
    -- read on the dashboards and in the workbook: figures in French with the unit's decimals, and the change
    -- never written when the status forbids it (niveau_seul, rupture)
    {{ nombre_texte('e.valeur_t0', 'coalesce(u.decimales, 1)') }}::varchar as valeur_t0_texte,
    {{ nombre_texte('e.valeur_t3', 'coalesce(u.decimales, 1)') }}::varchar as valeur_t3_texte,
    (case when e.evolution is not null
            then (case when round(e.evolution, coalesce(u.decimales, 1)) > 0 then '+'
                       when round(e.evolution, coalesce(u.decimales, 1)) < 0 then '−' else '' end)
                 || {{ nombre_fr('abs(e.evolution)', 'coalesce(u.decimales, 1)') }}
          when e.statut_comparabilite = 'niveau_seul' then 'non calculée — niveaux seulement'
          when e.statut_comparabilite = 'rupture' then 'non calculée — rupture de série'
          else 'non calculée — valeur absente' end)::varchar as evolution_texte,
    coalesce(case e.direction when 'amelioration' then 'amélioration' when 'degradation' then 'dégradation'
                  when 'hausse' then 'hausse (sans sens de lecture)' when 'baisse' then 'baisse (sans sens de lecture)'
                  else e.direction end, 'non calculée')::varchar as direction_libelle,
    {{ build_id() }}::varchar as build_id
from directions as e
left join {{ ref('ref_axes') }} as a using (axe)
left join {{ ref('ref_unites') }} as u on u.unite = e.unite
