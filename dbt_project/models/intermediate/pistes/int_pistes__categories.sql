-- The data·inclusion thématique categories of each piste of Annexe 1 (seed ref_pistes_annexe1), one per row.
select r.piste_id, trim(c.categorie) as categorie
from {{ ref('ref_pistes_annexe1') }} as r, unnest(string_split(r.categories_data_inclusion, ';')) as c(categorie)
