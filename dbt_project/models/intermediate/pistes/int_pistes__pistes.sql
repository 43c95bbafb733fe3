-- Étape 3: the candidate pistes of each diagnostic département — one per thématique of Annexe 1 of the calls
-- (seed ref_pistes_annexe1) — scored on the four criteria of the calls and ranked per axe (rule and weights:
-- var `pistes` in dbt_project.yml):
-- (1) besoin, from the gaps: EPCI where a data·inclusion category of the piste is « non couvert » or
--     « partiellement couvert » (int_ecarts__ecarts_epci), weighted by their population;
-- (2) articulation: existing dispositifs (tableau synthétique) and structures of the offer on those categories;
-- (3) levier and (4) faisabilité: the comité's scores (stg_pistes__decisions), « à évaluer » until then.
-- Each piste carries an « argumentaire » written from the figures (EPCI, population, gaps, need indicators with
-- their département and France references, offer, dispositifs, sources).
{%- set p = var('pistes') %}
{%- set somme_poids = p['poids_besoin'] + p['poids_articulation'] + p['poids_levier'] + p['poids_faisabilite'] %}
with pistes as (
    select r.*, d.code_departement
    from {{ ref('ref_pistes_annexe1') }} as r
    cross join (select distinct code_departement from {{ ref('int_geo__epci_diagnostic') }}) as d
),
piste_categories as (
    select * from {{ ref('int_pistes__categories') }}
),
piste_indicateurs as (
    select piste_id, trim(unnest(liste)) as indicateur_id, generate_subscripts(liste, 1) as pos
    from (select piste_id, string_split(indicateurs_besoin, ';') as liste from {{ ref('ref_pistes_annexe1') }})
),
population_epci as (
    select code_epci, code_departement, max(population) as population
    from {{ ref('int_offre__offre_epci') }}
    group by all
),
population_departement as (
    select code_departement, sum(population) as population from population_epci group by all
),
ecarts_piste as (
    select * from {{ ref('int_pistes__ecarts_epci') }}
),
besoin as (
    select e.piste_id, e.code_departement,
           count(*) filter (where e.niveau = 0) as nb_epci_non_couverts,
           count(*) filter (where e.niveau = 1) as nb_epci_partiellement_couverts,
           coalesce(sum(pe.population) filter (where e.niveau < 2), 0) as population_concernee,
           coalesce(sum(pe.population * case e.niveau when 0 then {{ p['poids_non_couvert'] }}
                                                      when 1 then {{ p['poids_partiellement_couvert'] }}
                                                      else 0 end), 0) as population_ponderee,
           string_agg(e.libelle, ', ' order by e.niveau, e.ecart desc, e.libelle) filter (where e.niveau < 2)
               as epci_concernes,
           string_agg(e.code_epci, ',' order by e.code_epci) filter (where e.niveau < 2) as codes_epci_concernes,
           max(e.ecart) filter (where e.niveau < 2) as ecart_max,
           -- ties (several EPCI at the same gap) go to the first name, as in epci_concernes: a rebuild of the
           -- same data must give the same argumentaire
           arg_min(e.libelle, (-e.ecart, e.libelle)) filter (where e.niveau < 2 and e.ecart is not null)
               as epci_ecart_max,
           bool_or(e.donnees_synthetiques) as donnees_synthetiques
    from ecarts_piste as e
    left join population_epci as pe using (code_epci, code_departement)
    group by all
),
dispositifs as (
    select pc.piste_id, dd.code_departement,
           count(distinct d.dispositif_id) as nb_dispositifs,
           string_agg(distinct d.intitule || ' (' || d.porteur || ')', ' ; '
                      order by d.intitule || ' (' || d.porteur || ')') as dispositifs,
           string_agg(distinct d.porteur, ', ' order by d.porteur) as porteurs
    from {{ ref('stg_dispositifs__dispositifs') }} as d
    join {{ ref('int_dispositifs__departements') }} as dd using (dispositif_id)
    join piste_categories as pc on pc.categorie = split_part(d.thematique, '--', 1)
    where dd.code_departement is not null
    group by all
),
offre as (
    select pc.piste_id, l.code_departement,
           count(distinct l.service_id) as nb_services,
           count(distinct l.structure_id) as nb_structures,
           string_agg(distinct l.source_id, ', ' order by l.source_id) as sources_offre
    from {{ ref('int_offre__services_localises') }} as l
    join {{ ref('int_offre__services_thematiques') }} as t using (service_id)
    join piste_categories as pc on pc.categorie = t.categorie_v1
    where l.code_departement is not null
    group by all
),
-- per piste and indicator, the EPCI of the département where the need is the most acute (latest millésime)
indicateurs_cites as (
    select pi.piste_id, pi.pos, i.code_departement, i.indicateur_id, i.libelle_indicateur, i.libelle, i.unite,
           i.valeur_texte, i.valeur_departement_texte, i.valeur_france_texte, i.millesime_periode, i.source,
           i.zscore_departement
    from piste_indicateurs as pi
    join {{ ref('int_besoins__indicateurs_epci') }} as i using (indicateur_id)
    where i.est_dernier_millesime and i.valeur is not null and i.zscore_departement is not null
    qualify row_number() over (partition by pi.piste_id, i.code_departement, i.indicateur_id
                               order by i.zscore_departement desc, i.code_epci) = 1
),
indicateurs as (
    select piste_id, code_departement,
           string_agg(libelle_indicateur || ' : ' || valeur_texte || ' ' || unite || ' dans « ' || libelle
                      || ' » (département ' || coalesce(valeur_departement_texte || ' ' || unite, '—') || ', France '
                      || coalesce(valeur_france_texte || ' ' || unite, '—') || ' ; ' || source || ' '
                      || millesime_periode || ')',
                      ' ; ' order by pos) as indicateurs_texte,
           string_agg(distinct source || ' ' || millesime_periode, ', '
                      order by source || ' ' || millesime_periode) as sources_besoin
    from indicateurs_cites
    group by all
),
decisions as (
    select * from {{ ref('stg_pistes__decisions') }}
),
notes as (
    select p.*, coalesce(b.nb_epci_non_couverts, 0) as nb_epci_non_couverts,
           coalesce(b.nb_epci_partiellement_couverts, 0) as nb_epci_partiellement_couverts,
           coalesce(b.population_concernee, 0) as population_concernee,
           b.epci_concernes, b.codes_epci_concernes, b.ecart_max, b.epci_ecart_max,
           coalesce(b.donnees_synthetiques, false) as donnees_synthetiques,
           pd.population as population_departement,
           coalesce(d.nb_dispositifs, 0) as nb_dispositifs, d.dispositifs, d.porteurs,
           coalesce(o.nb_services, 0) as nb_services, coalesce(o.nb_structures, 0) as nb_structures,
           o.sources_offre, i.indicateurs_texte, i.sources_besoin,
           c.decision, c.levier, c.faisabilite, c.intitule_amende, c.acteur_associe as acteur_associe_comite,
           c.commentaire, c.fichier as fichier_comite,
           round(4.0 * coalesce(b.population_ponderee, 0) / nullif(pd.population, 0), 2) as note_besoin,
           round(2.0 * least(1.0, coalesce(d.nb_dispositifs, 0) / {{ p['seuil_dispositifs'] }})
                 + 2.0 * least(1.0, coalesce(o.nb_structures, 0) / {{ p['seuil_structures'] }}), 2)
               as note_articulation
    from pistes as p
    left join besoin as b using (piste_id, code_departement)
    left join population_departement as pd using (code_departement)
    left join dispositifs as d using (piste_id, code_departement)
    left join offre as o using (piste_id, code_departement)
    left join indicateurs as i using (piste_id, code_departement)
    left join decisions as c using (piste_id, code_departement)
),
scores as (
    select *,
           round(({{ p['poids_besoin'] }} * coalesce(note_besoin, 0)
                  + {{ p['poids_articulation'] }} * note_articulation
                  + {{ p['poids_levier'] }} * coalesce(levier, {{ p['note_a_evaluer'] }})
                  + {{ p['poids_faisabilite'] }} * coalesce(faisabilite, {{ p['note_a_evaluer'] }}))
                 / {{ somme_poids }}, 2) as score
    from notes
),
classees as (
    select *,
           row_number() over (partition by code_departement, axe
                              order by coalesce(decision, '') = 'écartée', score desc, ecart_max desc nulls last,
                                       ordre) as rang
    from scores
)
select
    c.code_departement::varchar as code_departement,
    c.axe::varchar as axe,
    a.libelle_axe::varchar as libelle_axe,
    c.piste_id::varchar as piste_id,
    coalesce(c.intitule_amende, c.intitule)::varchar as intitule,
    c.intitule::varchar as intitule_annexe,
    thematiques_libelles.t::varchar as thematiques,
    c.rang::integer as rang,
    (c.rang <= {{ p['nb_propositions'] }} and coalesce(c.decision, '') <> 'écartée')::boolean as proposee,
    c.score::double as score,
    c.note_besoin::double as note_besoin,
    c.note_articulation::double as note_articulation,
    c.levier::integer as note_levier,
    c.faisabilite::integer as note_faisabilite,
    coalesce(c.levier::varchar || ' / 4', 'à évaluer')::varchar as levier_texte,
    coalesce(c.faisabilite::varchar || ' / 4', 'à évaluer')::varchar as faisabilite_texte,
    coalesce(c.decision, 'proposée')::varchar as decision,
    (c.nb_epci_non_couverts + c.nb_epci_partiellement_couverts)::integer as nb_epci_concernes,
    c.nb_epci_non_couverts::integer as nb_epci_non_couverts,
    c.nb_epci_partiellement_couverts::integer as nb_epci_partiellement_couverts,
    coalesce(c.epci_concernes, '')::varchar as epci_concernes,
    coalesce(c.codes_epci_concernes, '')::varchar as codes_epci_concernes,
    c.population_concernee::bigint as population_concernee,
    round(100.0 * c.population_concernee / nullif(c.population_departement, 0), 1)::double
        as part_population_concernee,
    c.ecart_max::double as ecart_max,
    c.nb_dispositifs::integer as nb_dispositifs,
    coalesce(c.dispositifs, '')::varchar as dispositifs,
    c.nb_services::integer as nb_services,
    c.nb_structures::integer as nb_structures,
    c.types_dispositifs::varchar as types_dispositifs,
    -- the calls require the CAF as co-porteur on axe 1 and France Travail on axe 2, whatever the comité writes
    (case
        when c.axe = '1' and coalesce(c.acteur_associe_comite, '') not ilike '%CAF%'
            then 'CAF' || coalesce(' ; ' || c.acteur_associe_comite, '')
        when c.axe = '2' and coalesce(c.acteur_associe_comite, '') not ilike '%France Travail%'
            then 'France Travail' || coalesce(' ; ' || c.acteur_associe_comite, '')
        else coalesce(c.acteur_associe_comite, c.acteur_associe)
    end)::varchar as acteur_associe,
    coalesce(c.indicateurs_besoin, '')::varchar as indicateurs_besoin,
    (
        case
            when c.nb_epci_non_couverts + c.nb_epci_partiellement_couverts = 0
                then 'Aucun EPCI du département n''a de besoin non ou partiellement couvert sur ces thématiques ('
                     || coalesce(thematiques_libelles.t, '') || ').'
            else 'Besoin ' || concat_ws(' et ',
                     case when c.nb_epci_non_couverts > 0 then 'non couvert dans ' || c.nb_epci_non_couverts || ' EPCI' end,
                     case when c.nb_epci_partiellement_couverts > 0
                          then 'partiellement couvert dans ' || c.nb_epci_partiellement_couverts || ' EPCI' end)
                 || ' (' || c.epci_concernes || '), soit '
                 || {{ nombre_fr('c.population_concernee::double', 0) }} || ' habitants ('
                 || coalesce({{ nombre_fr('(100.0 * c.population_concernee / nullif(c.population_departement, 0))::double', 1) }}, '—')
                 || ' % de la population du département).'
                 || coalesce(' Écart besoin − offre le plus fort : « ' || c.epci_ecart_max || ' » ('
                             || {{ nombre_fr('c.ecart_max::double', 2) }} || ').', '')
        end
        || coalesce(' Besoin mesuré par : ' || c.indicateurs_texte || '.', '')
        || ' Offre existante : ' || c.nb_services || ' service(s) de ' || c.nb_structures || ' structure(s)'
        || coalesce(' (' || c.sources_offre || ')', '') || ' ; '
        || case when c.nb_dispositifs = 0 then 'aucun dispositif du tableau synthétique sur ces thématiques.'
                else c.nb_dispositifs || ' dispositif(s) du tableau synthétique : ' || c.dispositifs || '.' end
        || ' Types de dispositifs à articuler : ' || c.types_dispositifs || '.'
        || ' Sources : ' || concat_ws(', ', c.sources_besoin, 'offre ' || c.sources_offre,
                                      case when c.nb_dispositifs > 0 then 'tableau synthétique des dispositifs' end,
                                      'marts.ecarts_epci')
        || '.'
        || case when c.decision is not null then ' Décision du comité : ' || c.decision
                    || coalesce(' (« ' || c.commentaire || ' »)', '') || ' — ' || c.fichier_comite || '.'
                else '' end
    )::varchar as argumentaire,
    coalesce(c.commentaire, '')::varchar as commentaire_comite,
    c.donnees_synthetiques::boolean as donnees_synthetiques
from classees as c
left join {{ ref('ref_axes') }} as a on a.axe = c.axe
left join (
    select pc.piste_id, string_agg(coalesce(x.libelle_categorie, pc.categorie), ', ' order by pc.categorie) as t
    from piste_categories as pc
    left join (select distinct categorie_v1, libelle_categorie from {{ ref('int_offre__taxonomie_v1') }}) as x
        on x.categorie_v1 = pc.categorie
    group by all
) as thematiques_libelles using (piste_id)
