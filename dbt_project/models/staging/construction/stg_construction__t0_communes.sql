-- Commune rows of the compared snapshots (their numerators and denominators), in each snapshot's COG.
select
    label::varchar as label, code_commune::varchar as code_commune, code_departement::varchar as code_departement,
    indicateur_id::varchar as indicateur_id, valeur::double as valeur, numerateur::double as numerateur,
    denominateur::double as denominateur, statut::varchar as statut, millesime::integer as millesime,
    periode::varchar as periode
from {{ source('construction', 't0_communes') }}
