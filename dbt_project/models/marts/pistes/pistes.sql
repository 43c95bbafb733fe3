-- Étape 3: candidate pistes per département × axe, scored and ranked (int_pistes__pistes, which the comité's
-- workbook and the Excel workbook read too).
select * from {{ ref('int_pistes__pistes') }}
