{{ stg_valeurs_longues('insee_recensement', 'insee_recensement_valeurs') }}
