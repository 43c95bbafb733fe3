-- Passage table (old commune code → current code) of the chosen COG vintage.
select code_ancien, code_actuel from {{ ref('stg_geo__passage') }}
where geo_millesime = {{ millesime_cog() }}
