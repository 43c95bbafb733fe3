-- T0 / T+3 comparison (bin/pacte compare): one row per comparison × territory of the T+3 geography ×
-- indicator, on the T+3 geography. A territory whose communes are the same in both COG (communes nouvelles
-- carried through the passage table) keeps its frozen T0 value; one whose perimeter changed gets its T0
-- rebuilt from the T0 commune values of its T+3 communes when the statistic is additive (sum, Σ num / Σ den,
-- rate weighted by persons), else only levels are shown. The status is the most severe of the source rule and
-- the geography rule of ref_regles_comparabilite (rupture > niveau_seul > rebase > comparable).
with comparaisons as (
    select *, coalesce(label_t3, '') as cle_t3 from {{ ref('stg_construction__comparaisons_t0') }}
),
regles as (select * from {{ ref('ref_regles_comparabilite') }}),
catalogue as (select * from {{ ref('ref_indicateurs') }}),
snap_ind as (select * from {{ ref('stg_construction__t0_indicateurs') }}),
snap_com as (select * from {{ ref('stg_construction__t0_communes') }}),
snap_geo as (select * from {{ ref('stg_construction__t0_geographie') }}),
passage as (select * from {{ ref('int_geo__passage_courant') }}),
geo_courante as (select * from {{ ref('int_geo__communes_epci') }}),
-- T+3 geography: the COG of this build, or that of the snapshot given with --avec
geo_t3 as (
    select c.label_t0, c.code_departement as dep, c.cle_t3, g.code_commune, g.code_epci, g.libelle_epci,
        g.code_departement, g.geo_millesime
    from comparaisons as c cross join geo_courante as g where c.label_t3 is null
    union all
    select c.label_t0, c.code_departement, c.cle_t3, g.code_commune, g.code_epci, g.libelle_epci,
        g.code_departement, g.geo_millesime
    from comparaisons as c join snap_geo as g on g.label = c.label_t3
),
geo_millesimes_t3 as (
    select label_t0, dep, cle_t3, max(geo_millesime) as geo_millesime_t3 from geo_t3 group by all
),
terr_t3 as (
    select distinct label_t0, dep, cle_t3, 'epci' as niveau, code_epci as code_territoire, libelle_epci as libelle
    from geo_t3 where code_departement = dep and code_epci is not null
    union all
    select c.label_t0, c.code_departement, c.cle_t3, 'departement', c.code_departement,
        coalesce((select any_value(libelle_departement) from geo_courante as d
                  where d.code_departement = c.code_departement), 'Département ' || c.code_departement)
    from comparaisons as c
),
membres_t3 as (
    select distinct g.label_t0, g.dep, g.cle_t3, 'epci' as niveau, g.code_epci as code_territoire, g.code_commune
    from geo_t3 as g
    join terr_t3 as t
        on t.label_t0 = g.label_t0 and t.dep = g.dep and t.cle_t3 = g.cle_t3 and t.niveau = 'epci'
        and t.code_territoire = g.code_epci
    union all
    select distinct label_t0, dep, cle_t3, 'departement', code_departement, code_commune
    from geo_t3 where code_departement = dep
),
-- T0 geography, each commune carried to its T+3 code (communes nouvelles: passage table of the T+3 COG)
geo_t0 as (
    select c.label_t0, c.code_departement as dep, c.cle_t3, g.code_commune as code_commune_t0,
        coalesce(p.code_actuel, g.code_commune) as code_commune, g.code_epci, g.code_departement, g.population
    from comparaisons as c
    join snap_geo as g on g.label = c.label_t0
    left join passage as p on p.code_ancien = g.code_commune
),
membres_t0 as (
    select distinct label_t0, dep, cle_t3, 'epci' as niveau, code_epci as code_territoire, code_commune
    from geo_t0 where code_epci is not null
    union all
    select distinct label_t0, dep, cle_t3, 'departement', code_departement, code_commune
    from geo_t0 where code_departement = dep
),
ensembles as (
    select * from (select *, true as en_t3 from membres_t3) as a
    full join (select *, true as en_t0 from membres_t0) as b
        using (label_t0, dep, cle_t3, niveau, code_territoire, code_commune)
),
perimetres as (
    select t.label_t0, t.dep, t.cle_t3, t.niveau, t.code_territoire,
        count(*) filter (where e.en_t3 and e.en_t0 is null) as communes_ajoutees,
        count(*) filter (where e.en_t0 and e.en_t3 is null) as communes_retirees,
        count(*) filter (where e.en_t3) as communes_t3
    from terr_t3 as t
    join ensembles as e using (label_t0, dep, cle_t3, niveau, code_territoire)
    group by all
),
-- T0 commune codes of the département that match no commune of the T+3 geography: counted and listed
codes_t0 as (
    select c.label_t0, c.code_departement as dep, c.cle_t3, g.code_commune
    from comparaisons as c join snap_geo as g on g.label = c.label_t0 and g.code_departement = c.code_departement
    union
    select c.label_t0, c.code_departement, c.cle_t3, s.code_commune
    from comparaisons as c join snap_com as s on s.label = c.label_t0 and s.code_departement = c.code_departement
),
non_rattachees as (
    select k.label_t0, k.dep, k.cle_t3,
        count(*) filter (where g.code_commune is null) as nombre,
        string_agg(k.code_commune, ', ' order by k.code_commune) filter (where g.code_commune is null) as liste
    from codes_t0 as k
    left join passage as p on p.code_ancien = k.code_commune
    left join (select distinct label_t0, dep, cle_t3, code_commune from geo_t3) as g
        on g.label_t0 = k.label_t0 and g.dep = k.dep and g.cle_t3 = k.cle_t3
        and g.code_commune = coalesce(p.code_actuel, k.code_commune)
    group by all
),
-- Indicator rows of each side, at the most recent millésime (and période) of the indicator in the département
ind_t3 as (
    select c.label_t0, c.code_departement as dep, c.cle_t3, t.niveau, t.code_territoire, t.indicateur_id,
        t.valeur, t.statut, t.millesime, t.periode
    from comparaisons as c cross join {{ ref('int_besoins__indicateurs_territoires') }} as t
    where c.label_t3 is null and t.niveau in ('epci', 'departement')
    union all
    select c.label_t0, c.code_departement, c.cle_t3, s.niveau, s.code_territoire, s.indicateur_id, s.valeur,
        s.statut, s.millesime, s.periode
    from comparaisons as c join snap_ind as s on s.label = c.label_t3 and s.code_departement = c.code_departement
),
t3_dernier as (
    select i.* from ind_t3 as i join terr_t3 as t using (label_t0, dep, cle_t3, niveau, code_territoire)
    qualify dense_rank() over (partition by i.label_t0, i.dep, i.cle_t3, i.indicateur_id
                               order by i.millesime desc, coalesce(i.periode, '') desc) = 1
),
ind_t0 as (
    select c.label_t0, c.code_departement as dep, c.cle_t3, s.niveau, s.code_territoire, s.indicateur_id,
        s.valeur, s.statut, s.millesime, s.periode
    from comparaisons as c join snap_ind as s on s.label = c.label_t0 and s.code_departement = c.code_departement
),
t0_choix as (
    select distinct label_t0, dep, cle_t3, indicateur_id, millesime, periode from ind_t0
    qualify dense_rank() over (partition by label_t0, dep, cle_t3, indicateur_id
                               order by millesime desc, coalesce(periode, '') desc) = 1
),
t0_direct as (
    select i.* from ind_t0 as i
    join t0_choix as ch using (label_t0, dep, cle_t3, indicateur_id, millesime)
    where i.periode is not distinct from ch.periode
),
-- T0 commune values of the chosen millésime, carried to the T+3 commune codes
com_t0 as (
    select ch.label_t0, ch.dep, ch.cle_t3, s.code_commune as code_commune_t0,
        coalesce(p.code_actuel, s.code_commune) as code_commune, s.indicateur_id, s.millesime, s.valeur,
        s.numerateur, s.denominateur
    from t0_choix as ch
    join snap_com as s
        on s.label = ch.label_t0 and s.indicateur_id = ch.indicateur_id and s.millesime = ch.millesime
        and s.periode is not distinct from ch.periode
    left join passage as p on p.code_ancien = s.code_commune
),
personnes_t0 as (
    select label, code_commune, millesime, valeur as personnes from snap_com
    where indicateur_id = 'nb_personnes_menages_fiscaux'
),
reagrege as (
    select m.label_t0, m.dep, m.cle_t3, m.niveau, m.code_territoire, v.indicateur_id,
        case r.agregation
            when 'somme' then sum(v.valeur)
            when 'ratio' then sum(v.numerateur) / nullif(sum(v.denominateur), 0) * r.facteur
            when 'taux_personnes' then sum(v.valeur * pe.personnes)
                / nullif(sum(pe.personnes) filter (where v.valeur is not null), 0)
        end as valeur,
        count(distinct v.code_commune_t0) filter (where v.valeur is not null) as communes_valeur
    from (select distinct label_t0, dep, cle_t3, niveau, code_territoire, code_commune from membres_t3) as m
    join com_t0 as v using (label_t0, dep, cle_t3, code_commune)
    join catalogue as r using (indicateur_id)
    left join personnes_t0 as pe
        on pe.label = v.label_t0 and pe.code_commune = v.code_commune_t0 and pe.millesime = v.millesime
    where r.agregation in ('somme', 'ratio', 'taux_personnes')
    group by m.label_t0, m.dep, m.cle_t3, m.niveau, m.code_territoire, v.indicateur_id, r.agregation, r.facteur
),
-- Share of the T0 population (T0 communes now in the territory) whose commune value entered the rebuilt T0
pop_territoire as (
    select distinct m.label_t0, m.dep, m.cle_t3, m.niveau, m.code_territoire, g.code_commune_t0, g.population
    from (select distinct label_t0, dep, cle_t3, niveau, code_territoire, code_commune from membres_t3) as m
    join geo_t0 as g using (label_t0, dep, cle_t3, code_commune)
),
part_reexprimee as (
    select p.label_t0, p.dep, p.cle_t3, p.niveau, p.code_territoire, i.indicateur_id,
        100.0 * coalesce(sum(p.population) filter (where v.valeur is not null), 0)
            / nullif(sum(p.population), 0) as part
    from pop_territoire as p
    join (select distinct label_t0, dep, cle_t3, indicateur_id from com_t0) as i using (label_t0, dep, cle_t3)
    left join com_t0 as v
        on v.label_t0 = p.label_t0 and v.dep = p.dep and v.cle_t3 = p.cle_t3 and v.indicateur_id = i.indicateur_id
        and v.code_commune_t0 = p.code_commune_t0
    group by all
),
indicateurs as (
    select label_t0, dep, cle_t3, indicateur_id from t0_choix
    union
    select label_t0, dep, cle_t3, indicateur_id from t3_dernier
),
lignes as (
    select
        t.label_t0, t.dep, t.cle_t3, c.label_t3, c.geo_millesime_t0, gm.geo_millesime_t3,
        -- the snapshot has commune values of this indicator for this territory (never for an old snapshot)
        coalesce(c.communes_t0 and ra.valeur is not null, false) as communes_t0,
        t.niveau, t.code_territoire, t.libelle, indicateur_id,
        r.libelle as libelle_indicateur, r.unite, r.axe, r.sens, r.source, r.agregation,
        case when r.agregation in ('somme', 'ratio', 'taux_personnes') then 'additive' else 'non_additive' end
            as additivite,
        coalesce(pe.communes_ajoutees, 0) as communes_ajoutees,
        coalesce(pe.communes_retirees, 0) as communes_retirees,
        coalesce(pe.communes_t3, 0) as communes_t3,
        coalesce(pe.communes_ajoutees, 0) + coalesce(pe.communes_retirees, 0) > 0 as perimetre_modifie,
        d0.valeur as valeur_t0_propre, ra.valeur as valeur_t0_reagregee, pr.part as part_reexprimee,
        ch.millesime as millesime_t0, ch.periode as periode_t0,
        d3.valeur as valeur_t3, d3.millesime as millesime_t3, d3.periode as periode_t3,
        coalesce(nr.nombre, 0) as communes_t0_non_rattachees, nr.liste as codes_t0_non_rattaches
    from terr_t3 as t
    join indicateurs as i using (label_t0, dep, cle_t3)
    join comparaisons as c on c.label_t0 = t.label_t0 and c.code_departement = t.dep and c.cle_t3 = t.cle_t3
    join catalogue as r using (indicateur_id)
    left join geo_millesimes_t3 as gm using (label_t0, dep, cle_t3)
    left join perimetres as pe using (label_t0, dep, cle_t3, niveau, code_territoire)
    left join t0_choix as ch using (label_t0, dep, cle_t3, indicateur_id)
    left join t0_direct as d0 using (label_t0, dep, cle_t3, niveau, code_territoire, indicateur_id)
    left join reagrege as ra using (label_t0, dep, cle_t3, niveau, code_territoire, indicateur_id)
    left join part_reexprimee as pr using (label_t0, dep, cle_t3, niveau, code_territoire, indicateur_id)
    left join t3_dernier as d3 using (label_t0, dep, cle_t3, niveau, code_territoire, indicateur_id)
    left join non_rattachees as nr using (label_t0, dep, cle_t3)
    -- a row where one side has the indicator at this level (département-only statistics stay off EPCI rows)
    where d0.indicateur_id is not null or d3.indicateur_id is not null or ra.indicateur_id is not null
),
valeurs as (
    select *,
        case when not perimetre_modifie then valeur_t0_propre
             when additivite = 'additive' and communes_t0 then valeur_t0_reagregee
             else valeur_t0_propre end as valeur_t0,
        case when perimetre_modifie and additivite = 'additive' and communes_t0 then 'reagregee'
             else 'propre' end as origine_t0
    from lignes
),
candidats as (
    select v.label_t0, v.dep, v.cle_t3, v.niveau, v.code_territoire, v.indicateur_id, g.regle_id, g.ordre, g.statut
    from valeurs as v
    join regles as g
        on g.portee = 'source' and v.source like g.motif_source
        and (g.indicateurs is null or list_contains(string_split(g.indicateurs, '|'), v.indicateur_id))
        and (g.millesime_t0_max is null or v.millesime_t0 <= g.millesime_t0_max)
        and (g.millesime_t3_min is null or v.millesime_t3 >= g.millesime_t3_min)
        and (g.ecart_inferieur_a is null or v.millesime_t3 - v.millesime_t0 < g.ecart_inferieur_a)
    qualify row_number() over (partition by v.label_t0, v.dep, v.cle_t3, v.niveau, v.code_territoire,
                                            v.indicateur_id order by g.ordre) = 1
    union all
    select v.label_t0, v.dep, v.cle_t3, v.niveau, v.code_territoire, v.indicateur_id, g.regle_id, g.ordre, g.statut
    from valeurs as v
    join regles as g
        on g.portee = 'geographie'
        and g.perimetre = case when v.perimetre_modifie then 'modifie' else 'inchange' end
        and (g.agregation is null or g.agregation = v.additivite)
        and (g.communes_t0 is null or g.communes_t0 = case when v.communes_t0 then 'oui' else 'non' end)
    qualify row_number() over (partition by v.label_t0, v.dep, v.cle_t3, v.niveau, v.code_territoire,
                                            v.indicateur_id order by g.ordre) = 1
    union all
    select v.label_t0, v.dep, v.cle_t3, v.niveau, v.code_territoire, v.indicateur_id, g.regle_id, g.ordre, g.statut
    from valeurs as v join regles as g on g.portee = 'absence'
    where v.valeur_t0 is null or v.valeur_t3 is null
),
decision as (
    select * from candidats
    qualify row_number() over (
        partition by label_t0, dep, cle_t3, niveau, code_territoire, indicateur_id
        order by case statut when 'rupture' then 4 when 'niveau_seul' then 3 when 'rebase' then 2 else 1 end desc,
                 ordre) = 1
)
select
    v.*,
    d.regle_id,
    d.statut as statut_comparabilite,
    g.explication as regle_explication
from valeurs as v
left join decision as d using (label_t0, dep, cle_t3, niveau, code_territoire, indicateur_id)
left join regles as g on g.regle_id = d.regle_id
