-- Every data·inclusion category and every need indicator named by a piste of Annexe 1 exists in its
-- reference list (ref_thematiques_axes, ref_indicateurs): a typo in the seed would silently drop a gap.
select p.piste_id, 'categorie' as liste, c.code
from {{ ref('ref_pistes_annexe1') }} as p, unnest(string_split(p.categories_data_inclusion, ';')) as c(code)
where trim(c.code) not in (select categorie_v1 from {{ ref('ref_thematiques_axes') }})
union all
select p.piste_id, 'indicateur', i.code
from {{ ref('ref_pistes_annexe1') }} as p, unnest(string_split(p.indicateurs_besoin, ';')) as i(code)
where trim(i.code) not in (select indicateur_id from {{ ref('ref_indicateurs') }})
