-- (Business rule, hence intermediate: the masking of IRIS never becomes 0 in a commune.)
-- CAF values per commune: IRIS rolled up to their commune (CODGEO[:5]) plus commune files passed through.
-- Masking rule: a masked IRIS is never summed as 0. When at least one IRIS of the commune is masked for a
-- variable, the commune value is NULL with statut 'secret'; the sum of the published IRIS is kept apart in
-- `valeur_partielle` (a lower bound) with `nb_iris_masques`. `note_max` keeps the worst NOTE quality flag.
with iris as (
    select * from {{ ref('stg_caf__valeurs') }} where niveau = 'iris'
),

cumul as (
    select
        left(code_geo, 5) as code_geo,
        millesime,
        periode,
        variable,
        count(*) as nb_iris,
        count(*) filter (where statut <> 'ok') as nb_iris_masques,
        sum(valeur) filter (where statut = 'ok') as somme_publiee,
        max(note) as note_max,
        string_agg(distinct fichier, ', ' order by fichier) as fichier,
        bool_or(donnees_synthetiques) as donnees_synthetiques
    from iris
    group by 1, 2, 3, 4
),

depuis_iris as (
    select
        'commune' as niveau,
        code_geo,
        cast(null as varchar) as libelle_geo,
        millesime,
        periode,
        variable,
        case when nb_iris_masques = 0 then somme_publiee end as valeur,
        case when nb_iris_masques = 0 then 'ok' else 'secret' end as statut,
        somme_publiee as valeur_partielle,
        nb_iris,
        nb_iris_masques,
        note_max,
        'iris' as origine,
        fichier,
        donnees_synthetiques
    from cumul
),

communes as (
    select
        niveau,
        code_geo,
        libelle_geo,
        millesime,
        periode,
        variable,
        valeur,
        statut,
        cast(null as double) as valeur_partielle,
        cast(null as bigint) as nb_iris,
        cast(null as bigint) as nb_iris_masques,
        note as note_max,
        'commune' as origine,
        fichier,
        donnees_synthetiques
    from {{ ref('stg_caf__valeurs') }}
    where niveau = 'commune'
)

select * from (
    select * from communes
    union all
    select * from depuis_iris
)
-- A published commune file wins over an IRIS roll-up of the same variable.
qualify row_number() over (
    partition by code_geo, millesime, periode, variable order by case origine when 'commune' then 0 else 1 end
) = 1
