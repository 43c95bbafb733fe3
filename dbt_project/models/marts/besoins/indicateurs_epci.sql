-- One row per EPCI × diagnostic département it touches × indicator × millésime (× période); built in
-- int_besoins__indicateurs_epci, which the other EPCI marts read.
select * from {{ ref('int_besoins__indicateurs_epci') }}
