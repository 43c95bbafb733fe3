-- Need × offer per EPCI × axe × thématique category; built in int_ecarts__ecarts_epci, which the gaps map reads.
select * from {{ ref('int_ecarts__ecarts_epci') }}
