-- The T0 snapshots frozen in the workspace (bin/pacte t0 freeze), as of this build: one row per label.
select
    label::varchar as label,
    code_departement::varchar as code_departement,
    libelle_departement::varchar as libelle_departement,
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
from {{ ref('int_t0__photographies') }}
