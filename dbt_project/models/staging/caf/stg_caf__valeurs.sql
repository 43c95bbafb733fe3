{{ stg_valeurs_longues('caf', 'caf_valeurs', extra=['note']) }}
