{{ stg_valeurs_longues('france_travail', 'france_travail_valeurs') }}
