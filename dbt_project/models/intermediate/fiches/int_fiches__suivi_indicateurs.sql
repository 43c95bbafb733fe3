-- Follow-up of the fiches' indicators: for a résultat indicator, its T0 (as written on the fiche, from the
-- snapshot it names), the cible 2027 and the latest value of the département published since, with the
-- attainment 100 × (latest − T0) / (cible − T0) once a millésime later than the T0 is published; for a
-- réalisation indicator, the annual cible (achievements are reported by the pilote, not computed here).
with derniere as (
    select code_territoire as code_departement, indicateur_id, valeur, millesime, statut
    from {{ ref('int_besoins__indicateurs_territoires') }}
    where niveau = 'departement' and valeur is not null
    qualify row_number() over (partition by code_territoire, indicateur_id order by millesime desc,
                               periode desc nulls last) = 1
),
suivi as (
    select i.*, r.libelle as libelle_indicateur, d.valeur as valeur_actuelle, d.millesime as millesime_actuel,
           case when i.type_indicateur = 'resultat' and d.valeur is not null and i.valeur_t0 is not null
                     and i.cible is not null and i.cible <> i.valeur_t0
                     and d.millesime::varchar > coalesce(i.millesime_t0, '')
                then round(100.0 * (d.valeur - i.valeur_t0) / (i.cible - i.valeur_t0), 1) end as taux_atteinte
    from {{ ref('stg_fiches_actions__indicateurs') }} as i
    left join {{ ref('ref_indicateurs') }} as r on r.indicateur_id = i.indicateur and i.type_indicateur = 'resultat'
    left join derniere as d
        on d.code_departement = i.code_departement and d.indicateur_id = i.indicateur and i.type_indicateur = 'resultat'
)
select
    s.code_departement::varchar as code_departement,
    s.piste_id::varchar as piste_id,
    p.axe::varchar as axe,
    s.type_indicateur::varchar as type_indicateur,
    s.indicateur::varchar as indicateur,
    coalesce(s.libelle_indicateur, s.indicateur)::varchar as libelle_indicateur,
    coalesce(s.unite, '')::varchar as unite,
    s.annee::integer as annee,
    s.cible::double as cible,
    s.valeur_t0::double as valeur_t0,
    s.millesime_t0::varchar as millesime_t0,
    s.source_t0::varchar as source_t0,
    s.valeur_actuelle::double as valeur_actuelle,
    s.millesime_actuel::integer as millesime_actuel,
    s.taux_atteinte::double as taux_atteinte,
    (case
        when s.type_indicateur = 'realisation' then 'réalisation déclarée par le pilote'
        when s.taux_atteinte is not null then {{ nombre_fr('s.taux_atteinte', 1) }} || ' % de la cible'
        when s.valeur_t0 is null then 'T0 inconnu'
        else 'pas encore de millésime postérieur au T0'
    end)::varchar as atteinte_texte,
    s.fichier::varchar as fichier,
    -- read on the dashboards: « — » where a réalisation indicator has no T0 nor published value
    (case when s.valeur_t0 is null then '—'
          else {{ nombre_fr('s.valeur_t0', 'coalesce(u.decimales, 1)') }} || coalesce(' (' || s.millesime_t0 || ')', '')
     end)::varchar as t0_texte,
    {{ nombre_texte('s.cible', 'coalesce(u.decimales, 1)') }}::varchar as cible_texte,
    (case when s.valeur_actuelle is null then '—'
          else {{ nombre_fr('s.valeur_actuelle', 'coalesce(u.decimales, 1)') }} || ' (' || s.millesime_actuel || ')'
     end)::varchar as valeur_actuelle_texte
from suivi as s
left join {{ ref('int_pistes__pistes') }} as p using (code_departement, piste_id)
left join {{ ref('ref_unites') }} as u on u.unite = s.unite
