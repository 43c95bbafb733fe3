-- The build parameters (warehouse/build.py) are exactly one row: every model reads them as a scalar.
select count(*) as nb_lignes
from {{ source('construction', 'parametres') }}
having count(*) <> 1
