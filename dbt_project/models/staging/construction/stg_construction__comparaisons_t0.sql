-- The comparisons asked for with bin/pacte compare (label_t3 NULL = the published build of this run).
select
    label_t0::varchar as label_t0,
    code_departement::varchar as code_departement,
    label_t3::varchar as label_t3,
    demandee_le::timestamp as demandee_le,
    geo_millesime_t0::integer as geo_millesime_t0,
    build_id_t0::varchar as build_id_t0,
    coalesce(communes_t0, false)::boolean as communes_t0
from {{ source('construction', 'comparaisons_t0') }}
