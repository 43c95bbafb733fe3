-- The six poverty profiles of the INSEE panoramas cannot be rebuilt from open files (they come from
-- Filosofi micro-data): each is read here through its best public proxy indicator (catalogue column
-- `profil`), and profiles are ranked by how far the département stands above the reference on that proxy:
-- France when a France value exists, else the median of all départements (national DEP files).
with derniers as (
    select t.*, r.profil, r.libelle as libelle_indicateur, r.unite
    from {{ ref('int_besoins__indicateurs_territoires') }} as t
    join {{ ref('ref_indicateurs') }} as r using (indicateur_id)
    where r.profil is not null and r.profil <> '' and r.sens = 'hausse_defavorable'
      and t.niveau in ('departement', 'france') and t.valeur is not null
    qualify rank() over (partition by t.niveau, t.code_territoire, t.indicateur_id
                         order by t.millesime desc, t.periode desc nulls last) = 1
),
mediane_departements as (
    select indicateur_id, millesime, median(valeur) as valeur
    from derniers where niveau = 'departement' group by all
)
select
    d.code_territoire::varchar as code_departement,
    d.profil::varchar as profil,
    d.indicateur_id::varchar as indicateur_id,
    d.libelle_indicateur::varchar as libelle_indicateur,
    d.unite::varchar as unite,
    d.millesime::integer as millesime,
    round(d.valeur, 2)::double as valeur,
    round(f.valeur, 2)::double as valeur_france,
    round(coalesce(f.valeur, m.valeur), 2)::double as valeur_reference,
    (case when f.valeur is not null then 'France' else 'médiane des départements' end)::varchar as reference,
    round(d.valeur / nullif(coalesce(f.valeur, m.valeur), 0), 3)::double as indice_reference,
    rank() over (partition by d.code_territoire
                 order by d.valeur / nullif(coalesce(f.valeur, m.valeur), 0) desc nulls last)::integer as rang,
    d.statut::varchar as statut
from derniers as d
left join derniers as f
    on f.niveau = 'france' and f.indicateur_id = d.indicateur_id and f.millesime = d.millesime
left join mediane_departements as m on m.indicateur_id = d.indicateur_id and m.millesime = d.millesime
where d.niveau = 'departement' and d.code_territoire in {{ departements_sql() }}
