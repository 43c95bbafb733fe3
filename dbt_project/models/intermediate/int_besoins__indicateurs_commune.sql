-- Indicators per commune of the chosen COG vintage (national: references and percentiles need it).
select
    code_commune, indicateur_id, millesime, nullif(periode, '') as periode, valeur, numerateur, denominateur,
    case when valeur is null and statut in ('ok', 'estime') then 'non_disponible'
         when statut = 'ok' and nb_codes > 1 then 'estime'
         else statut end as statut,
    personnes, donnees_synthetiques
from {{ indicateurs_depuis_valeurs(
    "(select * from " ~ ref('int_besoins__valeurs_communes') ~ " where code_commune is not null and not est_arrondissement)",
    ['code_commune']) }}

union all by name
-- Offer-derived need indicators (éloignement des services, accès aux soins): distance from the commune to
-- the nearest in-person service of a category; millésime = year of the latest service update.
select
    d.code_commune,
    case d.thematique when 'difficultes-administratives-ou-juridiques' then 'distance_service_acces_droits'
                      else 'distance_service_sante' end as indicateur_id,
    (select coalesce(max(year(date_maj)), year(current_date)) from {{ ref('int_offre__services') }}) as millesime,
    null::varchar as periode,
    d.distance_km as valeur, null::double as numerateur, null::double as denominateur,
    'ok' as statut,
    p.population::double as personnes,
    (select bool_or(donnees_synthetiques) from {{ ref('int_offre__services') }}) as donnees_synthetiques
from {{ ref('int_offre__distances_communes') }} as d
left join {{ ref('int_geo__population_communes') }} as p using (code_commune)
where d.niveau_thematique = 'categorie' and d.thematique in ('difficultes-administratives-ou-juridiques', 'sante')
