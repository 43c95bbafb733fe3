-- The comité's fiches actions, one per retained piste (int_fiches__fiches_actions).
select * from {{ ref('int_fiches__fiches_actions') }}
