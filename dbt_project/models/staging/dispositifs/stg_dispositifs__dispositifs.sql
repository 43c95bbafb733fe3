-- One row per dispositif; a re-submitted workbook (new checksum) replaces older rows with the same key.
select
    md5(intitule || '|' || porteur) as dispositif_id,
    intitule,
    porteur,
    co_porteurs,
    mode_financement,
    public_vise,
    axe,
    thematique,
    couverture,
    code_epci,
    territoire,
    {{ liste_delimitee('codes_territoire', ',') }} as codes_territoire,
    difficultes,
    pistes as pistes_developpement,
    source_info as source,
    ligne,
    _fichier as fichier,
    _synthetique as donnees_synthetiques
from {{ source('dispositifs', 'dispositifs') }}
qualify row_number() over (partition by intitule, porteur order by _charge_le desc, _sha256) = 1
