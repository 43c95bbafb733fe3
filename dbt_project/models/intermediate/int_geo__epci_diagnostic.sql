-- Each EPCI × diagnostic département it touches (an EPCI straddling two départements of the workspace
-- appears under both): the territory grid of every EPCI mart.
select distinct code_epci, libelle_epci, code_departement
from {{ ref('int_geo__communes_epci') }}
where code_departement in {{ departements_sql() }} and code_epci is not null
