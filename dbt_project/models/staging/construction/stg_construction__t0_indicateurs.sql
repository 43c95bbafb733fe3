-- Indicator rows (EPCI, département) of the compared snapshots, in each snapshot's COG.
select
    label::varchar as label, niveau::varchar as niveau, code_territoire::varchar as code_territoire,
    libelle::varchar as libelle, code_departement::varchar as code_departement,
    indicateur_id::varchar as indicateur_id, valeur::double as valeur, numerateur::double as numerateur,
    denominateur::double as denominateur, statut::varchar as statut, millesime::integer as millesime,
    periode::varchar as periode, geo_millesime::integer as geo_millesime
from {{ source('construction', 't0_indicateurs') }}
