-- Structures of data·inclusion/DORA and Soliguide places (a Soliguide lieu is its own structure).
select
    structure_id,
    'data_inclusion' as source_id,
    nom,
    code_insee as code_commune,
    latitude,
    longitude,
    typologie,
    array_to_string(reseaux_porteurs, ',') as reseaux_porteurs,
    schema_version,
    date_maj,
    donnees_synthetiques
from {{ ref('stg_data_inclusion__structures') }}
union all
select
    'soliguide--' || lieu_id,
    'soliguide',
    nom,
    cast(null as varchar),
    latitude,
    longitude,
    cast(null as varchar),
    cast(null as varchar),
    'soliguide',
    date_maj,
    donnees_synthetiques
from {{ ref('stg_soliguide__lieux') }}
