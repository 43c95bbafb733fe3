-- One row per landed file that the published warehouse was built from, across every raw table
-- (the list comes from the dbt graph: a new source needs no change here).
{%- set raw_tables = [] -%}
{%- if execute -%}
  {%- for node in graph.sources.values() if node.schema == 'raw' -%}
    {%- do raw_tables.append(source(node.source_name, node.name)) -%}
  {%- endfor -%}
{%- endif %}
with lignee as (
    {% for t in raw_tables %}
    select distinct _source_id, _fichier, _sha256, _millesime, _geo_millesime, _synthetique, _run_id, _charge_le
    from {{ t }}
    {% if not loop.last %}union{% endif %}
    {% endfor %}
    {% if not raw_tables %}select null::varchar as _source_id, null::varchar as _fichier, null::varchar as _sha256,
        null::integer as _millesime, null::integer as _geo_millesime, null::boolean as _synthetique,
        null::varchar as _run_id, null::timestamp as _charge_le where false{% endif %}
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
