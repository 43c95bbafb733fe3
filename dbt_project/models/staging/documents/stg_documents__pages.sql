select distinct on (document_id, page) document_id, page, texte
from {{ source('documents', 'documents_pages') }}
order by document_id, page, _charge_le desc
