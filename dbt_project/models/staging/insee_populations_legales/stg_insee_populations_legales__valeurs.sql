{{ stg_valeurs_longues('insee_populations_legales', 'insee_populations_legales_valeurs') }}
