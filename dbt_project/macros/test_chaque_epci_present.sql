{# Every EPCI with a commune in a diagnostic département appears in the mart. #}
{% test chaque_epci_present(model) %}
select distinct g.code_epci, g.code_departement
from {{ ref('int_geo__communes_epci') }} as g
where g.code_departement in {{ departements_sql() }} and g.code_epci is not null
  and not exists (
    select 1 from {{ model }} as m
    where m.code_epci = g.code_epci and m.code_departement = g.code_departement
  )
{% endtest %}
