-- The tableau synthétique des dispositifs as filled in by the partners (one row per dispositif).
select
    dispositif_id::varchar as dispositif_id,
    intitule::varchar as intitule,
    porteur::varchar as porteur,
    co_porteurs::varchar as co_porteurs,
    mode_financement::varchar as mode_financement,
    public_vise::varchar as public_vise,
    axe::varchar as axe,
    thematique::varchar as thematique,
    couverture::varchar as couverture,
    code_epci::varchar as code_epci,
    territoire::varchar as territoire,
    array_to_string(codes_territoire, ',')::varchar as codes_territoire,
    difficultes::varchar as difficultes,
    pistes_developpement::varchar as pistes_developpement,
    source::varchar as source,
    fichier::varchar as fichier,
    coalesce(donnees_synthetiques, false)::boolean as donnees_synthetiques
from {{ ref('stg_dispositifs__dispositifs') }}
