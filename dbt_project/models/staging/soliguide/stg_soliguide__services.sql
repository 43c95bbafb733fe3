-- Services of the retained version of each place only (same file checksum as stg_soliguide__lieux).
select s.lieu_id, s.service_id, s.categorie
from {{ source('soliguide', 'soliguide_services') }} as s
inner join {{ ref('stg_soliguide__lieux') }} as l on l.lieu_id = s.lieu_id and l.sha256 = s._sha256
