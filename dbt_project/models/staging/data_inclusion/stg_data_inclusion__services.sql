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
    list_filter(string_split(coalesce(thematiques, ''), '|'), x -> x <> '') as thematiques,
    list_filter(string_split(coalesce(publics, ''), '|'), x -> x <> '') as publics,
    list_filter(string_split(coalesce(modes_accueil, ''), '|'), x -> x <> '') as modes_accueil,
    list_filter(string_split(coalesce(zone_eligibilite, ''), '|'), x -> x <> '') as zone_eligibilite,
    zone_diffusion_type,
    _fichier as fichier,
    _synthetique as donnees_synthetiques
from {{ source('data_inclusion', 'di_services') }}
qualify row_number() over (partition by service_id order by _charge_le desc, _sha256) = 1
