-- data·inclusion référentiels v0 and v1, one row per value: the committed seed generated from the PyPI package
-- data-inclusion-schema by dbt_project/scripts/update_taxonomy_seeds.py (dbt never imports project code nor
-- reaches the network).
select version, taxonomie, valeur, libelle, nullif(categorie, '') as categorie
from {{ ref('ref_data_inclusion__taxonomies') }}
