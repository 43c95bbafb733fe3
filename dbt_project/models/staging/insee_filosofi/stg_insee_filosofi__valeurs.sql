-- Filosofi in long form; a file re-published with corrections (new checksum) replaces the older one.
select
    niveau,
    code_geo,
    libelle_geo,
    millesime,
    variable,
    valeur,
    statut,
    _fichier as fichier,
    _synthetique as donnees_synthetiques
from {{ source('insee_filosofi', 'filosofi') }}
qualify row_number() over (
    partition by niveau, code_geo, millesime, variable order by _charge_le desc, _sha256
) = 1
