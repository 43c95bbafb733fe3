-- Services × data·inclusion v1 thématiques: v1 as published, v0 through the v0→v1 crosswalk seed,
-- Soliguide categories through map_soliguide__thematiques_v1 (categories without equivalent are dropped).
with di as (
    select service_id, schema_version, unnest(thematiques) as thematique_source
    from {{ ref('stg_data_inclusion__services') }}
),

di_v1 as (
    select di.service_id, di.thematique_source,
           case when di.schema_version = 'v1' then di.thematique_source else m.thematique_v1 end as thematique_v1
    from di
    left join {{ ref('map_data_inclusion__thematiques_v0_v1') }} as m
        on di.schema_version = 'v0' and m.thematique_v0 = di.thematique_source
),

soli as (
    select 'soliguide--' || s.service_id as service_id, s.categorie as thematique_source, m.thematique_v1
    from {{ ref('stg_soliguide__services') }} as s
    inner join {{ ref('map_soliguide__thematiques_v1') }} as m on m.categorie_soliguide = s.categorie
),

tout as (
    select * from di_v1 where thematique_v1 is not null
    union all
    select * from soli
)

select
    t.service_id,
    t.thematique_v1,
    split_part(t.thematique_v1, '--', 1) as categorie_v1,
    a.axe,
    string_agg(distinct t.thematique_source, ',' order by t.thematique_source) as thematiques_source
from tout as t
left join {{ ref('ref_thematiques_axes') }} as a on a.thematique_v1 = t.thematique_v1
group by all
