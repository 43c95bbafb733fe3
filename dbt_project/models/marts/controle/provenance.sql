-- One row per landed file × diagnostic département it speaks for; built in int_controle__provenance,
-- which indicateurs_t0 reads for the checksums of each indicator's sources.
select * from {{ ref('int_controle__provenance') }}
