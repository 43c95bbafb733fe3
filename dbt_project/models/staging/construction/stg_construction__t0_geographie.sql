-- Commune → EPCI of each compared snapshot's COG.
select
    label::varchar as label, geo_millesime::integer as geo_millesime, code_commune::varchar as code_commune,
    libelle::varchar as libelle, code_departement::varchar as code_departement,
    population::bigint as population, code_epci::varchar as code_epci, libelle_epci::varchar as libelle_epci
from {{ source('construction', 't0_geographie') }}
