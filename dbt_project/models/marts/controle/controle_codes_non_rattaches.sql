-- Commune codes of a data file that belong neither to the chosen COG vintage nor to its passage table.
-- They are reported (count shown by `pacte run` and `pacte status`), never dropped silently.
select
    source_id::varchar as source_id,
    millesime::integer as millesime,
    {{ millesime_cog() }}::integer as geo_millesime,
    code_geo::varchar as code_commune,
    count(*)::bigint as nb_valeurs
from {{ ref('int_besoins__valeurs_communes') }}
where code_commune is null and not est_arrondissement
group by all
