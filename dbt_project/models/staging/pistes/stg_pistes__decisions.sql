-- One row per département × piste: the comité's latest decision (the most recently landed workbook wins, so a
-- workbook filled again after the next meeting replaces the previous decisions of its département).
select
    code_departement,
    piste_id,
    axe,
    decision,
    levier::integer as levier,
    faisabilite::integer as faisabilite,
    nullif(trim(intitule_amende), '') as intitule_amende,
    nullif(trim(acteur_associe), '') as acteur_associe,
    nullif(trim(commentaire), '') as commentaire,
    ligne,
    _fichier as fichier,
    _charge_le as charge_le
from {{ source('pistes', 'pistes_comite') }}
qualify row_number() over (partition by code_departement, piste_id order by _charge_le desc, _sha256, ligne) = 1
