select distinct on (document_id)
    document_id, titre, type_schema, periode_debut, periode_fin, auteur, format, nb_pages, sha256,
    fichier, _synthetique as donnees_synthetiques
from {{ source('documents', 'documents') }}
order by document_id, _charge_le desc
