select distinct on (document_id)
    document_id, titre, type_schema, periode_debut, periode_fin, auteur, format, nb_pages, sha256,
    fichier, _synthetique as donnees_synthetiques,
    -- an old schéma (period before 2000): kept in the register, not published as current (int_documents__passages)
    coalesce(periode_debut < 2000, false) as periode_ancienne
from {{ source('documents', 'documents') }}
order by document_id, _charge_le desc
