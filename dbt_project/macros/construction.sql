{#
  Run parameters of a build (départements, COG vintage, build id) are read from the `construction` schema that
  warehouse/build.py writes into the build file, not from dbt vars: vars are part of dbt's parse state, so a
  new value each run (the build id) would force a full re-parse, while a table keeps partial parsing valid.
#}
{% macro departements_sql() -%}
    (select code_departement from {{ source('construction', 'departements') }})
{%- endmacro %}

{% macro millesime_cog() -%}
    (select geo_millesime from {{ source('construction', 'parametres') }})
{%- endmacro %}

{% macro build_id() -%}
    (select build_id from {{ source('construction', 'parametres') }})
{%- endmacro %}
