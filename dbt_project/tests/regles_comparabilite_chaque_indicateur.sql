-- Every indicator of the catalogue has a comparability rule of its source that applies whatever the
-- millésimes (ref_regles_comparabilite): no row of marts.comparaison_t0 can be left without a status.
select r.indicateur_id, r.source
from {{ ref('ref_indicateurs') }} as r
where not exists (
    select 1 from {{ ref('ref_regles_comparabilite') }} as g
    where g.portee = 'source' and r.source like g.motif_source
      and (g.indicateurs is null or list_contains(string_split(g.indicateurs, '|'), r.indicateur_id))
      and g.millesime_t0_max is null and g.millesime_t3_min is null and g.ecart_inferieur_a is null
)
