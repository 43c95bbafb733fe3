-- The indicators of the fiches kept by stg_fiches_actions__fiches (same workbook), one row per indicator × year.
select i.code_departement, i.piste_id, i.type_indicateur, i.indicateur, i.unite, i.annee, i.cible, i.valeur_t0,
       i.millesime_t0, i.source_t0, i.feuille, i.ligne, i._fichier as fichier
from {{ source('fiches_actions', 'fiches_indicateurs') }} as i
join {{ ref('stg_fiches_actions__fiches') }} as f
    on f.code_departement = i.code_departement and f.piste_id = i.piste_id and f.sha256 = i._sha256
