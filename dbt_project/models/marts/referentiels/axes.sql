-- The axes of the Pacte (and the context), as dashboard filters offer them: one list for every dashboard,
-- whatever the axes present in one mart. Département-free reference data.
select axe::varchar as axe, libelle_axe::varchar as libelle_axe, ordre::integer as ordre
from {{ ref('ref_axes') }}
