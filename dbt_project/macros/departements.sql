{#
  Last attachment rule of dispositifs and schémas for row-level security: in a workspace covering a single
  département, every `cle` of `lignes` not in `rattaches` goes to that département (nothing otherwise).
  Yields `union all select …` to append to the query of the attached rows.
#}
{% macro rattachement_seul_departement(lignes, cle, rattaches) -%}
union all
select s.{{ cle }}, d.code_departement, 'seul département du diagnostic' as rattachement
from {{ lignes }} as s
cross join {{ source('construction', 'departements') }} as d
where (select count(*) from {{ source('construction', 'departements') }}) = 1
  and s.{{ cle }} not in (select {{ cle }} from {{ rattaches }})
{%- endmacro %}
