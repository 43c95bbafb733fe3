{# A delimited text cell ("a|b|", NULL) as a list without empty items (['a', 'b'], []). #}
{% macro liste_delimitee(colonne, separateur='|') -%}
    list_filter(string_split(coalesce({{ colonne }}, ''), '{{ separateur }}'), x -> x <> '')
{%- endmacro %}
