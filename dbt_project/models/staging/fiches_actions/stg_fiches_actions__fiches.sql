-- One row per département × piste: the fiche of the most recently landed workbook (a workbook filled again
-- replaces the previous fiches of the same pistes).
select code_departement, piste_id, intitule, pilote, co_porteurs, territoire, part_etat, cofinancement, feuille,
       _sha256 as sha256, _fichier as fichier, _charge_le as charge_le
from {{ source('fiches_actions', 'fiches_actions') }}
qualify row_number() over (partition by code_departement, piste_id order by _charge_le desc, _sha256) = 1
