-- Indicators of the fiches actions: T0, cibles, latest published value and attainment (int_fiches__suivi_indicateurs).
select * from {{ ref('int_fiches__suivi_indicateurs') }}
