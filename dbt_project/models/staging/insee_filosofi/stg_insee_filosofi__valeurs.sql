-- Filosofi in long form (no période: one value per millésime); a file re-published with corrections
-- (new checksum) replaces the older one.
{{ stg_valeurs_longues('insee_filosofi', 'filosofi', cle=['niveau', 'code_geo', 'millesime', 'variable']) }}
