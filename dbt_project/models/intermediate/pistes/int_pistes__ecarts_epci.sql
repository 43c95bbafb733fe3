-- Piste × EPCI of a diagnostic département: the worst coverage of the EPCI over the piste's categories (a
-- category may sit on two axes): niveau 0 = non couvert, 1 = partiellement couvert, 2 = couvert.
select pc.piste_id, e.code_departement, e.code_epci, any_value(e.libelle) as libelle,
       min(case e.niveau_couverture when 'non couvert' then 0 when 'partiellement couvert' then 1 else 2 end)
           as niveau,
       max(e.ecart) as ecart,
       bool_or(e.donnees_synthetiques) as donnees_synthetiques
from {{ ref('int_pistes__categories') }} as pc
join {{ ref('int_ecarts__ecarts_epci') }} as e on e.thematique = pc.categorie
group by all
