select
    structure_id,
    source,
    schema_version,
    nom,
    try_cast(left(date_maj, 10) as date) as date_maj,
    nullif(code_insee, '') as code_insee,
    code_postal,
    commune,
    latitude,
    longitude,
    siret,
    typologie,
    {{ liste_delimitee('reseaux_porteurs') }} as reseaux_porteurs,
    {{ liste_delimitee('thematiques') }} as thematiques,
    _fichier as fichier,
    _synthetique as donnees_synthetiques
from {{ source('data_inclusion', 'di_structures') }}
qualify row_number() over (partition by structure_id order by _charge_le desc, _sha256) = 1
