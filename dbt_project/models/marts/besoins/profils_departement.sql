-- How frequent each of the six poverty profiles of the INSEE panoramas is in the département, in one unit:
-- an estimated number of poor households. The INSEE typology comes from Filosofi micro-data and is not
-- published by territory, so each profile is approached in open data (seed ref_profils_pauvrete): the
-- poverty rate of the nearest group × the number of households of that group (recensement), or a count of
-- households (CAF), or nothing when no count exists — then only the group's poverty rate is given and the
-- profile has no estimate (statut non_disponible, with the reason). Each row names its approximation and
-- its millésimes; the national share of the profile among poor households (panorama, Filosofi 2020) is the
-- reference.
with departements as (
    select code_territoire as code_departement, indicateur_id, millesime, valeur, numerateur, statut
    from {{ ref('int_besoins__indicateurs_territoires') }}
    where niveau = 'departement' and code_territoire in {{ departements_sql() }}
),
taux as (
    select code_departement, indicateur_id, valeur, millesime from departements where valeur is not null
    qualify row_number() over (partition by code_departement, indicateur_id order by millesime desc) = 1
),
effectifs as (
    select code_departement, indicateur_id, numerateur, millesime from departements where numerateur is not null
    qualify row_number() over (partition by code_departement, indicateur_id order by millesime desc) = 1
),
profils as (
    select d.code_departement, p.*
    from (select distinct code_departement from departements) as d
    cross join {{ ref('ref_profils_pauvrete') }} as p
),
estimes as (
    select
        p.*,
        t.valeur as taux_pauvrete_groupe,
        t.millesime as millesime_taux,
        e.numerateur as effectif_groupe,
        e.millesime as millesime_effectif,
        case
            when p.indicateur_effectif is null then null
            when p.indicateur_taux is null then e.numerateur
            else t.valeur / 100.0 * e.numerateur
        end as nb_menages_pauvres
    from profils as p
    left join taux as t on t.code_departement = p.code_departement and t.indicateur_id = p.indicateur_taux
    left join effectifs as e on e.code_departement = p.code_departement and e.indicateur_id = p.indicateur_effectif
)
select
    code_departement::varchar as code_departement,
    profil::varchar as profil,
    ordre::integer as ordre,
    round(nb_menages_pauvres)::double as nb_menages_pauvres,
    {{ nombre_texte('nb_menages_pauvres', 0) }}::varchar as nb_menages_pauvres_texte,
    round(taux_pauvrete_groupe, 1)::double as taux_pauvrete_groupe,
    {{ nombre_texte('taux_pauvrete_groupe', 1) }}::varchar as taux_pauvrete_groupe_texte,
    coalesce(nullif(concat_ws(' ; ', 'taux ' || millesime_taux, 'effectif ' || millesime_effectif), ''), '—')::varchar as millesimes,
    millesime_taux::integer as millesime_taux,
    millesime_effectif::integer as millesime_effectif,
    part_france_panorama::double as part_france_panorama,
    approximation::varchar as approximation,
    (case when nb_menages_pauvres is not null then 'estime' else 'non_disponible' end)::varchar as statut,
    (case
        when nb_menages_pauvres is not null then ''
        when indicateur_effectif is null then 'aucun effectif publié pour ce groupe'
        when effectif_groupe is null then 'effectif du groupe absent des fichiers chargés (recensement ou CAF)'
        else 'taux de pauvreté du groupe absent des fichiers chargés (Filosofi)'
    end)::varchar as motif
from estimes
