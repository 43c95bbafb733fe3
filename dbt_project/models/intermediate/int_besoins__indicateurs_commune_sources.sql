-- Indicators per commune of the chosen COG vintage computed from the sources' values (national: references
-- and percentiles need it). Kept apart from the offer-derived indicators so that this, the heaviest model of
-- a build, does not wait for the offer models.
select
    code_commune, indicateur_id, millesime, nullif(periode, '') as periode, valeur, numerateur, denominateur,
    case when valeur is null and statut in ('ok', 'estime') then 'non_disponible'
         when statut = 'ok' and nb_codes > 1 then 'estime'
         else statut end as statut,
    personnes, poids, ponderation, donnees_synthetiques
from {{ indicateurs_depuis_valeurs(
    "(select * from " ~ ref('int_besoins__valeurs_communes') ~ " where code_commune is not null and not est_arrondissement)",
    ['code_commune']) }}
