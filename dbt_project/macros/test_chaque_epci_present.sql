{# Every EPCI with a commune in a diagnostic département appears in the mart. #}
{% test chaque_epci_present(model) %}
select g.code_epci, g.code_departement
from {{ ref('int_geo__epci_diagnostic') }} as g
where not exists (
    select 1 from {{ model }} as m
    where m.code_epci = g.code_epci and m.code_departement = g.code_departement
  )
{% endtest %}
