-- Offer per EPCI × data·inclusion v1 thématique; built in int_offre__offre_epci, which ecarts_epci reads.
select * from {{ ref('int_offre__offre_epci') }}
