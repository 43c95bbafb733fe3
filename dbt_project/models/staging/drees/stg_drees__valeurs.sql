{{ stg_valeurs_longues('drees', 'drees_valeurs', extra=['libelle_variable']) }}
