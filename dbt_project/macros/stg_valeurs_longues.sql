{#
  Staging of a long "valeurs" landing table (one row per territory × variable × millésime × période):
  a file re-published with corrections (new checksum) replaces the older one per key.
  `extra` lists source-specific columns kept as they are (e.g. CAF `note`).
#}
{% macro stg_valeurs_longues(source_name, table_name, extra=[]) %}
select
    niveau,
    code_geo,
    libelle_geo,
    millesime,
    periode,
    variable,
    valeur,
    statut,
    {% for c in extra %}{{ c }},
    {% endfor -%}
    _fichier as fichier,
    _synthetique as donnees_synthetiques
from {{ source(source_name, table_name) }}
qualify row_number() over (
    partition by niveau, code_geo, millesime, periode, variable order by _charge_le desc, _sha256
) = 1
{% endmacro %}
