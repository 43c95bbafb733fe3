-- One row per landed file × diagnostic département it speaks for (int_controle__fichiers_departements):
-- the comité of a département sees the files its dashboards were built from, never the name of another
-- département's tableau des dispositifs or schéma. The file list comes from the dbt graph: a new source
-- needs no change here.
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
),

-- Public files speak for every diagnostic département; dispositifs, documents and pistes only for theirs.
rattachements as (
    select sha256, code_departement, rattachement from {{ ref('int_controle__fichiers_departements') }}
    union all
    select p._sha256, d.code_departement, 'publication publique : tous les départements du diagnostic'
    from (select distinct _sha256 from lignee where _source_id not in ('dispositifs', 'documents', 'pistes', 'fiches_actions')) as p
    cross join {{ source('construction', 'departements') }} as d
)

select
    l._source_id::varchar as source_id,
    l._fichier::varchar as fichier,
    l._sha256::varchar as sha256,
    l._millesime::integer as millesime,
    l._geo_millesime::integer as geo_millesime,
    coalesce(l._synthetique, false)::boolean as donnees_synthetiques,
    (case when l._synthetique then 'synthétiques (démonstration)' else 'publiées' end)::varchar as nature_donnees,
    coalesce(nullif(concat_ws(' ; ', 'données ' || l._millesime, 'COG ' || l._geo_millesime), ''), '—')::varchar as millesimes,
    l._run_id::varchar as run_id,
    l._charge_le::timestamp as charge_le,
    r.code_departement::varchar as code_departement,
    coalesce(r.rattachement, 'non rattaché (administrateurs seulement)')::varchar as rattachement_departement
from lignee as l
left join rattachements as r on r.sha256 = l._sha256
