{#
  Staging of a long "valeurs" landing table (one row per territory × variable × millésime × période):
  a file re-published with corrections (new checksum) replaces the older one per key.
  `extra` lists source-specific columns kept as they are (e.g. CAF `note`); `cle` is the key (Filosofi has
  no période).
  Only keys published by several files are ranked: ranking millions of rows costs more than finding the
  few duplicated keys with a grouped count.
#}
{% macro stg_valeurs_longues(source_name, table_name, extra=[],
                             cle=['niveau', 'code_geo', 'millesime', 'periode', 'variable']) %}
{%- set meme_cle -%}
    {% for c in cle %}d.{{ c }} is not distinct from s.{{ c }}{% if not loop.last %} and {% endif %}{% endfor %}
{%- endset -%}
with source as (
    select
        {% for c in cle %}{{ c }},
        {% endfor -%}
        libelle_geo,
        valeur,
        statut,
        {% for c in extra %}{{ c }},
        {% endfor -%}
        _fichier as fichier,
        _synthetique as donnees_synthetiques,
        _charge_le,
        _sha256
    from {{ source(source_name, table_name) }}
),
doublons as (
    select {{ cle | join(', ') }} from source group by all having count(*) > 1
)
select * exclude (_charge_le, _sha256) from source as s
anti join doublons as d on {{ meme_cle }}
union all
select * exclude (_charge_le, _sha256) from (
    select * from source as s
    semi join doublons as d on {{ meme_cle }}
    qualify row_number() over (partition by {{ cle | join(', ') }} order by _charge_le desc, _sha256) = 1
)
{% endmacro %}
