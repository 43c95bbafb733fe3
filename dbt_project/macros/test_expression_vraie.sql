{# Rows where a boolean expression does not hold (e.g. "a secret is never a number"). #}
{% test expression_vraie(model, expression) %}
select * from {{ model }} where not ({{ expression }})
{% endtest %}
