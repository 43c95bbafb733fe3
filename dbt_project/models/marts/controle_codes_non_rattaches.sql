-- Commune codes of a data file that belong neither to the chosen COG vintage nor to its passage table.
-- They are reported (count shown by `pacte run` and `pacte status`), never dropped silently.
select
    'insee_filosofi'::varchar as source_id,
    fichier::varchar as fichier,
    millesime::integer as millesime,
    {{ var('geo_millesime') }}::integer as geo_millesime,
    code_geo::varchar as code_commune,
    count(*)::bigint as nb_valeurs
from {{ ref('int_filosofi__communes_rattachees') }}
where code_commune is null and not est_arrondissement
group by all
