-- Indicators per commune of the chosen COG vintage: from the sources' values, plus the offer-derived ones.
-- A view: its consumers read it once each, and the heavy part is the table int_besoins__indicateurs_commune_sources.
{{ config(materialized='view') }}
select * from {{ ref('int_besoins__indicateurs_commune_sources') }}

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
