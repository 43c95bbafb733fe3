-- The comité's fiches actions (one per retained piste), with the piste's axe and rank (int_pistes__pistes).
select
    f.code_departement::varchar as code_departement,
    f.piste_id::varchar as piste_id,
    p.axe::varchar as axe,
    p.libelle_axe::varchar as libelle_axe,
    f.intitule::varchar as intitule,
    f.pilote::varchar as pilote,
    coalesce(f.co_porteurs, '')::varchar as co_porteurs,
    coalesce(f.territoire, '')::varchar as territoire,
    f.part_etat::double as part_etat,
    f.cofinancement::double as cofinancement,
    p.decision::varchar as decision,
    p.rang::integer as rang_piste,
    f.fichier::varchar as fichier
from {{ ref('stg_fiches_actions__fiches') }} as f
left join {{ ref('int_pistes__pistes') }} as p using (code_departement, piste_id)
