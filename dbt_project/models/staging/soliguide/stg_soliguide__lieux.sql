select
    lieu_id,
    nom,
    adresse,
    code_postal,
    ville,
    departement,
    latitude,
    longitude,
    try_cast(date_maj as date) as date_maj,
    _sha256 as sha256,
    _fichier as fichier,
    _synthetique as donnees_synthetiques
from {{ source('soliguide', 'soliguide_lieux') }}
qualify row_number() over (partition by lieu_id order by _charge_le desc, _sha256) = 1
