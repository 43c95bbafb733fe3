{# SQL list of the workspace départements, e.g. ('16', '40'). #}
{% macro departements_sql() -%}
    ({% for d in var('departements') %}'{{ d }}'{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}

{#
  Last attachment rule of dispositifs and schémas for row-level security: in a workspace covering a single
  département, every `cle` of `source` not in `rattaches` goes to that département (nothing otherwise).
  Yields `union all select …` to append to the query of the attached rows.
#}
{% macro rattachement_seul_departement(source, cle, rattaches) -%}
{% if var('departements') | length == 1 %}
union all
select s.{{ cle }}, '{{ var('departements')[0] }}' as code_departement,
       'seul département du diagnostic' as rattachement
from {{ source }} as s
where s.{{ cle }} not in (select {{ cle }} from {{ rattaches }})
{% endif %}
{%- endmacro %}
