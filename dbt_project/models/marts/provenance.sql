-- One row per landed file that the published warehouse was built from.
{% set tables = ['geo_communes', 'geo_epci', 'geo_appartenance', 'geo_departements', 'geo_passage', 'filosofi'] %}
with lignee as (
    {% for t in tables %}
    select distinct _source_id, _fichier, _sha256, _millesime, _geo_millesime, _synthetique, _run_id, _charge_le
    from {{ source('raw', t) }}
    {% if not loop.last %}union{% endif %}
    {% endfor %}
)
select
    _source_id::varchar as source_id,
    _fichier::varchar as fichier,
    _sha256::varchar as sha256,
    _millesime::integer as millesime,
    _geo_millesime::integer as geo_millesime,
    coalesce(_synthetique, false)::boolean as donnees_synthetiques,
    _run_id::varchar as run_id,
    _charge_le::timestamp as charge_le
from lignee
