{# SQL list of the workspace départements, e.g. ('16', '40'). #}
{% macro departements_sql() -%}
    ({% for d in var('departements') %}'{{ d }}'{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}
