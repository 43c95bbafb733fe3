-- Every service of the offer, data·inclusion/DORA (v0, v1) and Soliguide, located by its commune code
-- when published, otherwise by its coordinates (point-in-polygon done downstream: int_offre__services_localises).
with di as (
    select
        service_id,
        'data_inclusion' as source_id,
        structure_id,
        nom,
        code_insee as code_commune,
        latitude,
        longitude,
        coalesce(list_contains(modes_accueil, 'a-distance') and not list_contains(modes_accueil, 'en-presentiel'),
                 false) as a_distance,
        array_to_string(zone_eligibilite, ',') as zone_eligibilite,
        schema_version,
        date_maj,
        donnees_synthetiques
    from {{ ref('stg_data_inclusion__services') }}
),

soli as (
    select
        'soliguide--' || s.service_id as service_id,
        'soliguide' as source_id,
        'soliguide--' || l.lieu_id as structure_id,
        l.nom,
        cast(null as varchar) as code_commune,
        l.latitude,
        l.longitude,
        false as a_distance,
        cast(null as varchar) as zone_eligibilite,
        'soliguide' as schema_version,
        l.date_maj,
        l.donnees_synthetiques
    from {{ ref('stg_soliguide__services') }} as s
    inner join {{ ref('stg_soliguide__lieux') }} as l using (lieu_id)
)

select * from di
union all
select * from soli
