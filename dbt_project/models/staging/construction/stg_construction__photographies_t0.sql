-- The workspace's T0 snapshots as the build found them (one row per label; see warehouse/t0/manifest.py).
select
    label::varchar as label,
    code_departement::varchar as code_departement,
    cree_le::timestamp as cree_le,
    build_id::varchar as build_id,
    publie_le::timestamp as publie_le,
    geo_millesime::integer as geo_millesime,
    lignes_indicateurs::integer as lignes_indicateurs,
    empreinte_indicateurs::varchar as empreinte_indicateurs,
    commit_code::varchar as commit_code,
    fichiers_entree::integer as fichiers_entree,
    millesimes_sources::varchar as millesimes_sources,
    donnees_synthetiques::boolean as donnees_synthetiques
from {{ source('construction', 'photographies_t0') }}
