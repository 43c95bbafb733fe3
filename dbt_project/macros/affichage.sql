{#
  How figures read on dashboards, reports and workbooks: French digits (non-breaking space between thousands,
  decimal comma), the number of decimals of the indicator's unit (seed ref_unites), and secret / non
  disponible in words — a secret is never shown as 0.
#}
{% macro nombre_fr(expression, decimales) -%}
replace(replace(replace(format('{:,.{}f}', {{ expression }}, {{ decimales }}), ',', '~'), '.', ','), '~', chr(160))
{%- endmacro %}

{% macro valeur_texte(valeur, statut, decimales) -%}
case
    when {{ statut }} = 'secret' then 'secret'
    when {{ statut }} = 'non_disponible' then 'non disponible'
    when {{ valeur }} is null then '—'
    else {{ nombre_fr(valeur, decimales) }} || case when {{ statut }} = 'estime' then ' (estimé)' else '' end
end
{%- endmacro %}

{% macro nombre_texte(valeur, decimales) -%}
case when {{ valeur }} is null then '—' else {{ nombre_fr(valeur, decimales) }} end
{%- endmacro %}

{% macro statut_libelle(statut) -%}
case {{ statut }}
    when 'ok' then 'publié' when 'secret' then 'secret' when 'estime' then 'estimé'
    when 'non_disponible' then 'non disponible' else {{ statut }}
end
{%- endmacro %}

{#
  True on the rows of an indicator's most recent millésime that holds a value somewhere in the mart (and
  its most recent période): charts that show « the » value of a territory take these rows, never a maximum
  over years, and every territory of a chart shows the same millésime (a territory under secret that year
  shows « secret »). A millésime published without any value (e.g. counts absent from Filosofi 2023) does
  not hide the previous one.
#}
{% macro est_dernier_millesime(indicateur='indicateur_id', millesime='millesime', periode='periode', valeur='valeur') -%}
({{ millesime }} = coalesce(max({{ millesime }}) filter (where {{ valeur }} is not null) over (partition by {{ indicateur }}),
                          max({{ millesime }}) over (partition by {{ indicateur }}))
 and coalesce({{ periode }}, '') = coalesce(
     max(coalesce({{ periode }}, '')) filter (where {{ valeur }} is not null) over (partition by {{ indicateur }}, {{ millesime }}),
     max(coalesce({{ periode }}, '')) over (partition by {{ indicateur }}, {{ millesime }})))
{%- endmacro %}

{# The millésime as read: « 2021 », or the période when it is finer (« 2025-T4 », « 2020-12 »). #}
{% macro millesime_periode(millesime, periode) -%}
case when {{ periode }} is null then {{ millesime }}::varchar
     when starts_with({{ periode }}, {{ millesime }}::varchar) then {{ periode }}
     else {{ millesime }} || ' (' || {{ periode }} || ')' end
{%- endmacro %}

{#
  How a rate estimated from the communes was weighted (int_besoins__indicateurs_territoires.ponderation), in
  French, for the statut's précision: the persons, else the fiscal households, else the population légale of
  the same millésime; none loaded: the rate cannot be computed.
#}
{% macro precision_ponderation(ponderation, millesime) -%}
case {{ ponderation }}
    when 'personnes' then 'estimé depuis les communes, taux pondérés par les personnes des ménages fiscaux ('
        || {{ millesime }} || ')'
    when 'menages' then 'estimé depuis les communes, taux pondérés par les ménages fiscaux ('
        || {{ millesime }} || ', fichier DISP) : pas de nombre de personnes de ce millésime dans les fichiers chargés'
    when 'population_legale' then 'estimé depuis les communes, taux pondérés par la population municipale légale ('
        || {{ millesime }} || ') : ni personnes ni ménages fiscaux de ce millésime dans les fichiers chargés'
    when 'aucune' then 'non calculable : aucun dénominateur de ' || {{ millesime }}
        || ' (personnes, ménages fiscaux ou population légale) dans les fichiers chargés pour pondérer les taux des communes'
end
{%- endmacro %}
