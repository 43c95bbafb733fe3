-- One row per service id; a later export (loaded later) replaces an older one.
select
    service_id,
    structure_id,
    source,
    schema_version,
    nom,
    try_cast(left(date_maj, 10) as date) as date_maj,
    nullif(code_insee, '') as code_insee,
    code_postal,
    latitude,
    longitude,
    {{ liste_delimitee('thematiques') }} as thematiques,
    {{ liste_delimitee('publics') }} as publics,
    {{ liste_delimitee('modes_accueil') }} as modes_accueil,
    {{ liste_delimitee('zone_eligibilite') }} as zone_eligibilite,
    zone_diffusion_type,
    _fichier as fichier,
    _synthetique as donnees_synthetiques
from {{ source('data_inclusion', 'di_services') }}
qualify row_number() over (partition by service_id order by _charge_le desc, _sha256) = 1
