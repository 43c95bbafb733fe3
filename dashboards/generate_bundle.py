"""Generate the five comité dashboards of the bundle from compact definitions.

Run with any venv that has PyYAML::

    .venvs/pipeline/bin/python dashboards/generate_bundle.py

It (re)writes, in dashboards/bundle, the generated datasets, charts and
dashboards (deterministic uuids, stable file names), and adds its computed
columns and metrics to the hand-exported datasets (indicateurs_epci,
provenance) without touching what is already there. The hand-exported charts
of the former « Besoins — pauvreté monétaire par EPCI » dashboard are reused
on « Étape 1 — Besoins » (same dashboard uuid: re-import overwrites it).

Every chart sits in a column above a one-line « Source » note, so committee
members read the source, unit and millésime right under each chart.

The service-point map of « Étape 2 — Offre » is a deck.gl « Multiple Layers »
chart: its layers (EPCI polygons, then one point layer per axe, each colour
named in the source note since such a map draws no legend) are charts of
their own, on no dashboard, listed by uuid in params.pacte_couches;
`manage.py import` puts their instance ids in params.deck_slices. Values
under secret statistique are shown as the word « secret » (column
valeur_texte), never as 0.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

BUNDLE = Path(__file__).resolve().parent / "bundle"
NAMESPACE = uuid.UUID("6f1c1d1e-4a38-4c57-9a43-2b0c7e1f0a16")
DATABASE_UUID = "edcafe71-84ab-4e30-9732-9fa836b886ef"
DS_EPCI = "6e06726d-0cca-418c-a158-33fcb9277709"
DS_PROVENANCE = "2f54638c-4664-45df-810a-0f164bc83f04"
DS_COMMUNE = str(uuid.uuid5(NAMESPACE, "dataset:indicateurs_commune"))
DS_BESOINS = str(uuid.uuid5(NAMESPACE, "dataset:besoins_epci"))
DS_PROFILS = str(uuid.uuid5(NAMESPACE, "dataset:profils_departement"))
DS_T0 = str(uuid.uuid5(NAMESPACE, "dataset:indicateurs_t0"))
DS_CARTE = str(uuid.uuid5(NAMESPACE, "dataset:carte_indicateurs_epci"))
DS_OFFRE = str(uuid.uuid5(NAMESPACE, "dataset:offre_epci"))
DS_ECARTS = str(uuid.uuid5(NAMESPACE, "dataset:ecarts_epci"))
DS_DISPOSITIFS = str(uuid.uuid5(NAMESPACE, "dataset:dispositifs"))
DS_SCHEMAS = str(uuid.uuid5(NAMESPACE, "dataset:schemas_passages"))
DS_POINTS = str(uuid.uuid5(NAMESPACE, "dataset:carte_services_points"))
GENERATED_MARK = "généré par dashboards/generate_bundle.py"
# Transparent tile served by superset_config.py; the public URL is put in place by `manage.py import`.
BLANK_TILE_STYLE = "tile://__PACTE_URL_PUBLIQUE__/pacte/tuile-vide.png"

# Hand-exported charts reused on the dashboards.
CH_TAUX_TABLE = "15cfd4b2-a4e4-4751-911f-fb9fc45dbff5"
CH_TAUX_BAR = "e1436648-46d3-45bf-8ea8-6ffe39641b0d"
CH_NIVEAU_VIE = "4701bc80-4cc4-4b8a-be56-e78596e82720"
CH_PROVENANCE = "7719acb5-13ea-488b-9441-e492c09b5a5b"
CH_SYNTHETIQUES = "53f92354-a8df-465a-9b5a-3715067296fc"
ETAPE1_UUID = "eeb91f22-9043-44e3-81a8-e6d28ad14ee4"

FILOSOFI = "INSEE, Filosofi (revenus localisés sociaux et fiscaux)"
KEY_INDICATORS = [
    "taux_pauvrete_60",
    "nb_personnes_pauvres",
    "niveau_vie_median",
    "part_minima_sociaux_revenu",
    "rapport_interdecile",
    "part_prestations_revenu",
]
# Indicators whose increase is unfavourable (sens = hausse_defavorable in ref_indicateurs).
UNFAVOURABLE_UP = [
    "taux_pauvrete_60",
    "tp_ref_moins30",
    "tp_ref_60_74",
    "tp_ref_75p",
    "tp_proprietaires",
    "tp_locataires",
    "part_prestations_revenu",
    "part_minima_sociaux_revenu",
    "rapport_interdecile",
]
PROFILE_INDICATORS = ["tp_ref_moins30", "tp_ref_60_74", "tp_ref_75p", "tp_proprietaires", "tp_locataires"]

STATUT_LIBELLE_SQL = (
    "CASE statut WHEN 'ok' THEN 'publié' WHEN 'secret' THEN 'secret' WHEN 'estime' THEN 'estimé' "
    "WHEN 'non_disponible' THEN 'non disponible' ELSE statut END"
)
# The value as read by a committee member: « secret » / « non disponible » in words, never 0.
VALEUR_TEXTE_SQL = (
    "CASE WHEN statut = 'secret' THEN 'secret' WHEN statut = 'non_disponible' THEN 'non disponible' "
    "WHEN valeur IS NULL THEN '—' ELSE replace(format('{:.1f}', valeur), '.', ',') "
    "|| CASE WHEN statut = 'estime' THEN ' (estimé)' ELSE '' END END"
)

# --------------------------------------------------------------------------- datasets


def _column(
    name: str,
    verbose: str,
    type_: str,
    expression: str | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    return {
        "column_name": name,
        "verbose_name": verbose,
        "is_dttm": False,
        "is_active": True,
        "type": type_,
        "advanced_data_type": None,
        "groupby": True,
        "filterable": True,
        "expression": expression,
        "description": description,
        "python_date_format": None,
        "datetime_format": None,
        "extra": None,
    }


def _metric(
    name: str,
    verbose: str,
    expression: str,
    d3format: str | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    return {
        "metric_name": name,
        "verbose_name": verbose,
        "metric_type": None,
        "expression": expression,
        "description": description,
        "d3format": d3format,
        "currency": None,
        "extra": None,
        "warning_text": None,
    }


def _indicator_value_metric(indicateur_id: str, verbose: str, d3format: str) -> dict[str, Any]:
    return _metric(indicateur_id, verbose, f"MAX(CASE WHEN indicateur_id = '{indicateur_id}' THEN valeur END)", d3format)


def _latest(column: str, also: str = "") -> str:
    """Value of the most recent millésime where it is published (the millésimes differ between sources)."""
    cond = f"{column} IS NOT NULL" + (f" AND {also} IS NOT NULL" if also else "")
    return f"arg_max({column}, millesime) FILTER (WHERE {cond})"


COMPUTED_COLUMNS = [
    _column(
        "valeur_texte",
        "Valeur",
        "VARCHAR",
        VALEUR_TEXTE_SQL,
        "Valeur lisible : « secret » ou « non disponible » en toutes lettres (jamais 0), « (estimé) » si "
        "recalculée depuis les communes.",
    ),
    _column(
        "statut_libelle",
        "Statut",
        "VARCHAR",
        STATUT_LIBELLE_SQL,
        "Statut de la valeur : publié, secret (secret statistique, jamais 0), estimé, non disponible.",
    ),
]
INDICATOR_METRICS = [
    _metric("valeur_max", "Valeur", "MAX(valeur)", ",.1f", "Valeur publiée ou estimée (vide si secret)."),
    _metric("valeur_recente", "Valeur (dernier millésime)", _latest("valeur"), ",.1f"),
    _metric("valeur_departement_recente", "Valeur du département (dernier millésime)", _latest("valeur_departement"), ",.1f"),
    _metric("valeur_france_recente", "Valeur France (dernier millésime)", _latest("valeur_france"), ",.1f"),
    _metric("valeur_departement_max", "Valeur du département", "MAX(valeur_departement)", ",.1f"),
    _metric(
        "valeur_moyenne_epci",
        "Moyenne des EPCI (non pondérée)",
        "AVG(valeur)",
        ",.1f",
        "Moyenne simple des valeurs publiées ou estimées des EPCI (repère, pas un taux départemental).",
    ),
    _metric("valeur_france_max", "Valeur France", "MAX(valeur_france)", ",.1f"),
    _metric(
        "ecart_departement",
        "Écart à la valeur du département",
        f"{_latest('valeur', 'valeur_departement')} - {_latest('valeur_departement', 'valeur')}",
        "+,.1f",
        "Valeur du territoire moins valeur du département (vide si secret).",
    ),
    _metric("premier_millesime", "Premier millésime", "MIN(millesime)", "d"),
    _metric("dernier_millesime", "Dernier millésime", "MAX(millesime)", "d"),
    _metric("valeur_premier_millesime", "Valeur au premier millésime", f"arg_min({VALEUR_TEXTE_SQL}, millesime)"),
    _metric("valeur_dernier_millesime", "Valeur au dernier millésime", f"arg_max({VALEUR_TEXTE_SQL}, millesime)"),
    _indicator_value_metric("nb_personnes_menages_fiscaux", "Personnes des ménages fiscaux", ",.0f"),
]
EPCI_METRICS = [_metric("nb_epci", "Nombre d'EPCI", "COUNT(DISTINCT code_epci)", "d")]
EPCI_EXTRA_COLUMNS = [
    _column("axe", "Axe", "VARCHAR"),
    _column("theme", "Thème", "VARCHAR"),
    _column("alerte", "Alerte", "BOOLEAN"),
    _column("motif", "Motif de l'alerte", "VARCHAR"),
    _column("periode", "Période", "VARCHAR"),
]


COMMUNE_COLUMNS = [
    ("code_commune", "Code commune (INSEE)", "VARCHAR"),
    ("libelle", "Commune", "VARCHAR"),
    ("code_epci", "Code EPCI (SIREN)", "VARCHAR"),
    ("libelle_epci", "EPCI", "VARCHAR"),
    ("code_departement", "Département", "VARCHAR"),
    ("indicateur_id", "Indicateur (code)", "VARCHAR"),
    ("libelle_indicateur", "Indicateur", "VARCHAR"),
    ("unite", "Unité", "VARCHAR"),
    ("axe", "Axe", "VARCHAR"),
    ("valeur", "Valeur (nombre)", "DOUBLE"),
    ("millesime", "Millésime", "INTEGER"),
    ("geo_millesime", "Millésime de la géographie (COG)", "INTEGER"),
    ("statut", "Statut (code)", "VARCHAR"),
    ("valeur_departement", "Valeur du département", "DOUBLE"),
    ("valeur_france", "Valeur France", "DOUBLE"),
    ("source", "Source", "VARCHAR"),
    ("donnees_synthetiques", "Données synthétiques", "BOOLEAN"),
]
BESOINS_COLUMNS = [
    ("code_epci", "Code EPCI (SIREN)", "VARCHAR"),
    ("libelle", "EPCI", "VARCHAR"),
    ("code_departement", "Département", "VARCHAR"),
    ("theme", "Facteur aggravant", "VARCHAR"),
    ("nb_indicateurs", "Indicateurs du thème", "INTEGER"),
    ("nb_indicateurs_sensibles", "Indicateurs en alerte", "INTEGER"),
    ("indicateurs_sensibles", "Indicateurs en alerte (liste)", "VARCHAR"),
    ("situation_sensible", "Situation sensible", "BOOLEAN"),
    ("regle", "Règle appliquée", "VARCHAR"),
    ("population", "Population", "BIGINT"),
]
PROFILS_COLUMNS = [
    ("code_departement", "Département", "VARCHAR"),
    ("profil", "Profil", "VARCHAR"),
    ("indicateur_id", "Indicateur (code)", "VARCHAR"),
    ("libelle_indicateur", "Indicateur", "VARCHAR"),
    ("unite", "Unité", "VARCHAR"),
    ("millesime", "Millésime", "INTEGER"),
    ("valeur", "Valeur du département", "DOUBLE"),
    ("valeur_france", "Valeur France", "DOUBLE"),
    ("rang", "Rang", "INTEGER"),
    ("statut", "Statut (code)", "VARCHAR"),
]
T0_COLUMNS = [
    ("niveau", "Niveau", "VARCHAR"),
    ("code_territoire", "Code du territoire", "VARCHAR"),
    ("libelle", "Territoire", "VARCHAR"),
    ("code_departement", "Département", "VARCHAR"),
    ("indicateur_id", "Indicateur (code)", "VARCHAR"),
    ("libelle_indicateur", "Indicateur", "VARCHAR"),
    ("unite", "Unité", "VARCHAR"),
    ("axe", "Axe", "VARCHAR"),
    ("valeur", "Valeur (nombre)", "DOUBLE"),
    ("statut", "Statut (code)", "VARCHAR"),
    ("millesime", "Millésime", "INTEGER"),
    ("periode", "Période", "VARCHAR"),
    ("geo_millesime", "Millésime de la géographie (COG)", "INTEGER"),
    ("sources_sha256", "Empreintes des fichiers sources", "VARCHAR"),
    ("build_id", "Construction", "VARCHAR"),
]
# EPCI polygons × indicators, for the offline choropleth. deck.gl Polygon takes one outer ring per row
# (its auto-zoom cannot read nested rings): the first part of a MultiPolygon is drawn, holes are not.
CARTE_SQL = """SELECT g.code_epci, g.libelle, g.code_departement, i.indicateur_id, i.libelle_indicateur, i.unite,
  i.axe, i.valeur, i.valeur_departement, i.statut, i.millesime,
  CASE json_extract_string(g.geojson, '$.type')
    WHEN 'MultiPolygon' THEN json_extract(g.geojson, '$.coordinates[0][0]')
    ELSE json_extract(g.geojson, '$.coordinates[0]') END::VARCHAR AS contour
FROM marts.geo_epci AS g
JOIN marts.indicateurs_epci AS i ON i.code_epci = g.code_epci AND i.code_departement = g.code_departement"""
CARTE_COLUMNS = [
    ("code_epci", "Code EPCI (SIREN)", "VARCHAR"),
    ("libelle", "EPCI", "VARCHAR"),
    ("code_departement", "Département", "VARCHAR"),
    ("indicateur_id", "Indicateur (code)", "VARCHAR"),
    ("libelle_indicateur", "Indicateur", "VARCHAR"),
    ("unite", "Unité", "VARCHAR"),
    ("axe", "Axe", "VARCHAR"),
    ("valeur", "Valeur", "DOUBLE"),
    ("valeur_departement", "Valeur du département", "DOUBLE"),
    ("statut", "Statut (code)", "VARCHAR"),
    ("millesime", "Millésime", "INTEGER"),
    ("contour", "Contour (GeoJSON)", "VARCHAR"),
]
OFFRE_COLUMNS = [
    ("code_epci", "Code EPCI (SIREN)", "VARCHAR"),
    ("libelle", "EPCI", "VARCHAR"),
    ("code_departement", "Département", "VARCHAR"),
    ("axe", "Axe", "VARCHAR"),
    ("thematique", "Thématique (code)", "VARCHAR"),
    ("libelle_thematique", "Thématique", "VARCHAR"),
    ("nb_services", "Services", "INTEGER"),
    ("nb_structures", "Structures", "INTEGER"),
    ("services_pour_10000_hab", "Services pour 10 000 habitants", "DOUBLE"),
    ("services_pour_1000_pauvres", "Services pour 1 000 personnes pauvres", "DOUBLE"),
    ("part_population_couverte", "Population couverte (%)", "DOUBLE"),
    ("distance_moyenne_km", "Distance moyenne (km)", "DOUBLE"),
    ("nb_dispositifs", "Dispositifs", "INTEGER"),
    ("dispositifs", "Dispositifs (liste)", "VARCHAR"),
]
ECARTS_COLUMNS = [
    ("code_epci", "Code EPCI (SIREN)", "VARCHAR"),
    ("libelle", "EPCI", "VARCHAR"),
    ("code_departement", "Département", "VARCHAR"),
    ("axe", "Axe", "VARCHAR"),
    ("thematique", "Thématique", "VARCHAR"),
    ("indice_besoin", "Indice de besoin", "DOUBLE"),
    ("indice_offre", "Indice d'offre", "DOUBLE"),
    ("ecart", "Écart besoin − offre", "DOUBLE"),
    ("niveau_couverture", "Couverture", "VARCHAR"),
    ("rang", "Rang", "INTEGER"),
]
DISPOSITIFS_COLUMNS = [
    ("code_departement", "Département", "VARCHAR"),
    ("intitule", "Dispositif", "VARCHAR"),
    ("porteur", "Porteur", "VARCHAR"),
    ("mode_financement", "Financement", "VARCHAR"),
    ("public_vise", "Public visé", "VARCHAR"),
    ("axe", "Axe", "VARCHAR"),
    ("thematique", "Thématique", "VARCHAR"),
    ("couverture", "Couverture", "VARCHAR"),
    ("territoire", "Territoire", "VARCHAR"),
    ("difficultes", "Difficultés", "VARCHAR"),
    ("pistes_developpement", "Pistes de développement", "VARCHAR"),
]
SCHEMAS_COLUMNS = [
    ("code_departement", "Département", "VARCHAR"),
    ("titre", "Document", "VARCHAR"),
    ("type_schema", "Type de schéma", "VARCHAR"),
    ("page", "Page", "INTEGER"),
    ("axe", "Axe", "VARCHAR"),
    ("thematique", "Thématique", "VARCHAR"),
    ("extrait", "Extrait", "VARCHAR"),
]
# Service points (marts.services_points: one row per service × thématique) with the thématique's label,
# for the offline map of the offer; services without coordinates cannot be drawn.
POINTS_SQL = """SELECT p.service_id, p.nom, p.code_commune, p.code_epci, p.code_departement, p.latitude, p.longitude,
  p.localisation, p.a_distance, p.thematique, coalesce(t.libelle_thematique, p.thematique) AS libelle_thematique,
  p.categorie, p.axe, p.source_id, p.donnees_synthetiques
FROM marts.services_points AS p
LEFT JOIN (SELECT thematique, any_value(libelle_thematique) AS libelle_thematique FROM marts.offre_epci GROUP BY 1) AS t
  USING (thematique)
WHERE p.latitude IS NOT NULL AND p.longitude IS NOT NULL"""
POINTS_COLUMNS = [
    ("service_id", "Service (identifiant)", "VARCHAR"),
    ("nom", "Service", "VARCHAR"),
    ("code_commune", "Code commune (INSEE)", "VARCHAR"),
    ("code_epci", "Code EPCI (SIREN)", "VARCHAR"),
    ("code_departement", "Département", "VARCHAR"),
    ("latitude", "Latitude", "DOUBLE"),
    ("longitude", "Longitude", "DOUBLE"),
    ("localisation", "Localisation", "VARCHAR"),
    ("a_distance", "Service à distance", "BOOLEAN"),
    ("thematique", "Thématique (code)", "VARCHAR"),
    ("libelle_thematique", "Thématique", "VARCHAR"),
    ("categorie", "Catégorie", "VARCHAR"),
    ("axe", "Axe", "VARCHAR"),
    ("source_id", "Source", "VARCHAR"),
    ("donnees_synthetiques", "Données synthétiques", "BOOLEAN"),
]
POINTS_VERBOSE = {name: verbose for name, verbose, _type in POINTS_COLUMNS}
COUNT_METRIC = _metric("count", "Nombre de lignes", "COUNT(*)")


def dataset_yaml(
    table: str,
    description: str,
    physical: list[tuple[str, str, str]],
    computed: list[dict[str, Any]],
    metrics: list[dict[str, Any]],
    sql: str | None = None,
) -> dict[str, Any]:
    return {
        "table_name": table,
        "main_dttm_col": None,
        "currency_code_column": None,
        "description": f"{description} — {GENERATED_MARK}.",
        "default_endpoint": None,
        "offset": 0,
        "cache_timeout": None,
        "catalog": None,
        "schema": "marts",
        "sql": sql,
        "params": None,
        "template_params": None,
        "filter_select_enabled": True,
        "fetch_values_predicate": None,
        "extra": None,
        "normalize_columns": False,
        "always_filter_main_dttm": False,
        "folders": None,
        "uuid": dataset_uuid(table),
        "metrics": sorted([COUNT_METRIC, *metrics], key=lambda m: m["metric_name"]),
        "columns": [*computed, *(_column(n, v, t) for n, v, t in physical)],
        "version": "1.0.0",
        "database_uuid": DATABASE_UUID,
    }


def generated_datasets() -> list[dict[str, Any]]:
    return [
        dataset_yaml(
            "indicateurs_commune",
            "Indicateurs par commune × indicateur × millésime (marts.indicateurs_commune)",
            COMMUNE_COLUMNS,
            COMPUTED_COLUMNS,
            INDICATOR_METRICS,
        ),
        dataset_yaml(
            "besoins_epci",
            "Situations locales sensibles : EPCI × facteur aggravant (marts.besoins_epci)",
            BESOINS_COLUMNS,
            [],
            [_metric("nb_situations_sensibles", "Situations sensibles", "COUNT(*) FILTER (WHERE situation_sensible)", "d")],
        ),
        dataset_yaml(
            "profils_departement",
            "Profils de pauvreté les plus fréquents du département (marts.profils_departement)",
            PROFILS_COLUMNS,
            [],
            [_metric("valeur_profil", "Taux de pauvreté du profil (%, dernier millésime)", _latest("valeur"), ",.1f")],
        ),
        dataset_yaml(
            "indicateurs_t0",
            "Table T0 prête pour la comparaison à mi-parcours (marts.indicateurs_t0)",
            T0_COLUMNS,
            COMPUTED_COLUMNS,
            [
                _metric("premier_millesime", "Premier millésime", "MIN(millesime)", "d"),
                _metric("dernier_millesime", "Dernier millésime", "MAX(millesime)", "d"),
                _metric("valeur_premier_millesime", "Valeur au premier millésime", f"arg_min({VALEUR_TEXTE_SQL}, millesime)"),
                _metric("valeur_dernier_millesime", "Valeur au dernier millésime", f"arg_max({VALEUR_TEXTE_SQL}, millesime)"),
            ],
        ),
        dataset_yaml(
            "carte_indicateurs_epci",
            "Contours des EPCI (marts.geo_epci) joints à leurs indicateurs (marts.indicateurs_epci), pour la carte",
            CARTE_COLUMNS,
            [],
            [
                _metric("valeur_recente", "Valeur (dernier millésime)", _latest("valeur"), ",.1f"),
                _metric(
                    "ecart_departement",
                    "Écart au département (dernier millésime)",
                    f"{_latest('valeur', 'valeur_departement')} - {_latest('valeur_departement', 'valeur')}",
                    "+,.1f",
                ),
            ],
            sql=CARTE_SQL,
        ),
        dataset_yaml(
            "offre_epci",
            "Offre par EPCI, axe et thématique (marts.offre_epci)",
            OFFRE_COLUMNS,
            [],
            [_metric("nb_services_total", "Services recensés", "SUM(nb_services)", ",d")],
        ),
        dataset_yaml(
            "ecarts_epci",
            "Écarts besoins / offre par EPCI, axe et thématique (marts.ecarts_epci)",
            ECARTS_COLUMNS,
            [],
            [
                _metric(
                    "nb_non_couverts",
                    "Thématiques peu ou non couvertes",
                    "COUNT(*) FILTER (WHERE niveau_couverture <> 'couvert')",
                    "d",
                )
            ],
        ),
        dataset_yaml("dispositifs", "Tableau synthétique des dispositifs (marts.dispositifs)", DISPOSITIFS_COLUMNS, [], []),
        dataset_yaml(
            "schemas_passages",
            "Passages des schémas départementaux classés par axe (marts.schemas_passages)",
            SCHEMAS_COLUMNS,
            [],
            [],
        ),
        dataset_yaml(
            "carte_services_points",
            "Points de service localisés (marts.services_points) avec le libellé de leur thématique, pour la carte de l'offre",
            POINTS_COLUMNS,
            [],
            [_metric("nb_services_points", "Points de service", "COUNT(DISTINCT service_id)", ",d")],
            sql=POINTS_SQL,
        ),
    ]


def dataset_uuid(table: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"dataset:{table}"))


def extend_dataset(path: Path, columns: list[dict[str, Any]], metrics: list[dict[str, Any]]) -> None:
    """Add missing computed columns and metrics to a hand-exported dataset (by name, idempotent)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    have_cols = {c["column_name"] for c in data["columns"]}
    data["columns"] += [c for c in columns if c["column_name"] not in have_cols]
    have_metrics = {m["metric_name"] for m in data["metrics"]}
    data["metrics"] = sorted(
        data["metrics"] + [m for m in metrics if m["metric_name"] not in have_metrics], key=lambda m: m["metric_name"]
    )
    write_yaml(path, data)


# --------------------------------------------------------------------------- charts


@dataclass
class Chart:
    key: str
    name: str
    viz: str  # table_raw | table_agg | bar | big_number | map (polygons) | points (deck.gl scatter) | multi (layers)
    dataset: str
    source: str
    description: str = ""
    columns: list[str] = field(default_factory=list)  # raw columns, or groupby
    metrics: list[str] = field(default_factory=list)
    x_axis: str | None = None
    filters: list[tuple[str, str, Any]] = field(default_factory=list)  # (col, op, val)
    where: str = ""  # free SQL WHERE (adhoc SQL filter)
    orderby: list[tuple[str, bool]] = field(default_factory=list)
    formats: dict[str, str] = field(default_factory=dict)
    subheader: str = ""
    horizontal: bool = True
    row_limit: int = 1000
    color: tuple[int, int, int] | None = None  # points: colour of the layer
    radius: int = 4  # points: smallest radius, in pixels
    scheme: str = "superset_seq_1"  # map: sequential colour scheme of the polygons
    opacity: int = 85  # map: opacity of the polygons (%)
    layers: list[str] = field(default_factory=list)  # multi: keys of the layer charts, drawn in this order

    @property
    def uuid(self) -> str:
        return str(uuid.uuid5(NAMESPACE, f"chart:{self.key}"))


def _adhoc_filters(chart: Chart) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = []
    for col, op, val in chart.filters:
        filters.append({"clause": "WHERE", "subject": col, "operator": op, "comparator": val, "expressionType": "SIMPLE"})
    if chart.where:
        filters.append({"clause": "WHERE", "sqlExpression": chart.where, "expressionType": "SQL"})
    return filters


def chart_yaml(chart: Chart) -> dict[str, Any]:
    datasource = "1__table"
    params: dict[str, Any] = {
        "viz_type": "",
        "datasource": datasource,
        "adhoc_filters": _adhoc_filters(chart),
        "extra_form_data": {},
    }
    query: dict[str, Any] = {
        "annotation_layers": [],
        "applied_time_extras": {},
        "custom_form_data": {},
        "custom_params": {},
        "extras": {"having": "", "where": f"({chart.where})" if chart.where else ""},
        "filters": [{"col": c, "op": o, **({} if v is None else {"val": v})} for c, o, v in chart.filters],
        "order_desc": True,
        "row_limit": chart.row_limit,
        "series_limit": 0,
        "time_offsets": [],
        "post_processing": [],
    }
    shown = {*chart.columns, *chart.metrics}
    column_config = {name: {"d3NumberFormat": fmt} for name, fmt in chart.formats.items() if name in shown}
    if chart.viz == "table_raw":
        params.update(
            viz_type="table",
            query_mode="raw",
            all_columns=chart.columns,
            order_by_cols=[json.dumps([c, asc]) for c, asc in chart.orderby],
            row_limit=chart.row_limit,
            server_pagination=False,
            server_page_length=20,
            include_search=True,
            show_cell_bars=False,
            allow_render_html=False,
            table_timestamp_format="smart_date",
            column_config=column_config,
            conditional_formatting=[],
            annotation_layers=[],
        )
        query.update(columns=chart.columns, metrics=None, orderby=[[c, asc] for c, asc in chart.orderby])
    elif chart.viz == "table_agg":
        params.update(
            viz_type="table",
            query_mode="aggregate",
            groupby=chart.columns,
            metrics=chart.metrics,
            all_columns=[],
            order_by_cols=[],
            percent_metrics=[],
            row_limit=chart.row_limit,
            server_pagination=False,
            server_page_length=20,
            include_search=True,
            show_cell_bars=False,
            allow_render_html=False,
            table_timestamp_format="smart_date",
            column_config=column_config,
            conditional_formatting=[],
            annotation_layers=[],
        )
        if chart.orderby:
            params.update(timeseries_limit_metric=chart.orderby[0][0], order_desc=not chart.orderby[0][1])
        query.update(columns=chart.columns, metrics=chart.metrics, orderby=[[c, asc] for c, asc in chart.orderby])
    elif chart.viz == "bar":
        assert chart.x_axis and len(chart.metrics) == 1
        metric = chart.metrics[0]
        params.update(
            viz_type="echarts_timeseries_bar",
            x_axis=chart.x_axis,
            metrics=chart.metrics,
            groupby=chart.columns,
            orientation="horizontal" if chart.horizontal else "vertical",
            x_axis_sort=metric if not chart.columns else chart.x_axis,
            x_axis_sort_asc=True,
            x_axis_sort_series="name",
            x_axis_sort_series_ascending=True,
            row_limit=chart.row_limit,
            truncate_metric=True,
            show_empty_columns=True,
            comparison_type="values",
            annotation_layers=[],
            forecastEnabled=False,
            show_value=True,
            show_legend=bool(chart.columns),
            legendType="scroll",
            legendOrientation="top",
            x_axis_title="",
            y_axis_title="",
            y_axis_format=chart.formats.get(metric, ",.1f"),
            truncateYAxis=False,
            rich_tooltip=True,
            color_scheme="supersetColors",
            only_total=True,
            zoomable=False,
            time_grain_sqla=None,
        )
        axis = {
            "columnType": "BASE_AXIS",
            "expressionType": "SQL",
            "isColumnReference": True,
            "label": chart.x_axis,
            "sqlExpression": chart.x_axis,
        }
        query.update(
            columns=[axis, *chart.columns], metrics=chart.metrics, series_columns=chart.columns, orderby=[[metric, False]]
        )
    elif chart.viz == "map":
        (metric,) = chart.metrics
        params.update(
            viz_type="deck_polygon",
            line_column="contour",
            line_type="json",
            reverse_long_lat=False,
            metric=metric,
            point_radius_fixed={"type": "fix", "value": 0},
            fill_color_picker={"r": 3, "g": 65, "b": 73, "a": 1},
            stroke_color_picker={"r": 60, "g": 60, "b": 60, "a": 1},
            filled=True,
            stroked=True,
            extruded=False,
            line_width=1,
            line_width_unit="pixels",
            opacity=chart.opacity,
            color_scheme_type="linear_palette",
            linear_color_scheme=chart.scheme,
            num_buckets=5,
            legend_position="tr",
            legend_format=",.1f",
            mapbox_style=BLANK_TILE_STYLE,
            viewport={"longitude": 2.4, "latitude": 46.6, "zoom": 5, "bearing": 0, "pitch": 0},
            autozoom=True,
            row_limit=chart.row_limit,
            js_columns=[],
            tooltip_contents=["libelle"],
            table_filter=False,
            toggle_polygons=True,
            multiplier=1,
        )
        query.update(columns=["contour", "libelle"], metrics=[metric], orderby=[[metric, False]])
    elif chart.viz == "points":
        assert chart.color is not None
        r, g, b = chart.color
        params.update(
            viz_type="deck_scatter",
            spatial={"type": "latlong", "latCol": "latitude", "lonCol": "longitude"},
            point_radius_fixed={"type": "fix", "value": 500},
            point_unit="radius_m",
            min_radius=chart.radius,
            max_radius=chart.radius + 6,
            multiplier=1,
            color_picker={"r": r, "g": g, "b": b, "a": 1},
            dimension=None,
            color_scheme="supersetColors",
            mapbox_style=BLANK_TILE_STYLE,
            viewport={"longitude": 2.4, "latitude": 46.6, "zoom": 5, "bearing": 0, "pitch": 0},
            autozoom=True,
            row_limit=chart.row_limit,
            js_columns=[],
            tooltip_contents=[
                {"item_type": "column", "column_name": c, "verbose_name": POINTS_VERBOSE[c]} for c in chart.columns
            ],
            time_grain_sqla=None,
        )
        query.update(columns=["longitude", "latitude", *chart.columns], metrics=[], orderby=[])
    elif chart.viz == "multi":
        ids = chart_ids()
        params.update(
            viz_type="deck_multi",
            deck_slices=[ids[key] for key in chart.layers],  # placeholders: `manage.py import` puts the real ids
            pacte_couches=[CHART_BY_KEY[key].uuid for key in chart.layers],
            mapbox_style=BLANK_TILE_STYLE,
            viewport={"longitude": 2.4, "latitude": 46.6, "zoom": 5, "bearing": 0, "pitch": 0},
            autozoom=True,
        )
        query.update(columns=[], metrics=chart.metrics, orderby=[])
    elif chart.viz == "big_number":
        (metric,) = chart.metrics
        params.update(
            viz_type="big_number_total",
            metric=metric,
            subheader=chart.subheader,
            y_axis_format=chart.formats.get(metric, ",.1f"),
            header_font_size=0.4,
            subheader_font_size=0.15,
            time_format="smart_date",
            annotation_layers=[],
        )
        query.update(columns=[], metrics=[metric], orderby=[])
    else:
        raise ValueError(chart.viz)
    form_data = {**params, "force": False, "result_format": "json", "result_type": "full"}
    query_context = {
        "datasource": {"id": 1, "type": "table"},
        "force": False,
        "form_data": form_data,
        "queries": [query],
        "result_format": "json",
        "result_type": "full",
    }
    description = f"{chart.description} Source : {chart.source}".strip()
    return {
        "slice_name": chart.name,
        "description": description,
        "certified_by": None,
        "certification_details": None,
        "viz_type": params["viz_type"],
        "params": params,
        "query_context": json.dumps(query_context, ensure_ascii=False, sort_keys=True),
        "cache_timeout": None,
        "uuid": chart.uuid,
        "version": "1.0.0",
        "dataset_uuid": chart.dataset,
    }


# Colours of the service points, by axe of the Pacte (named in the source line under the map).
AXE_COLORS = {1: (31, 119, 180), 2: (255, 127, 14), 3: (148, 103, 189), 4: (44, 160, 44)}
AXE_COLOR_NAMES = {1: "bleu", 2: "orange", 3: "violet", 4: "vert"}
TABLE_FORMATS = {"valeur_departement": ",.1f", "valeur_france": ",.1f", "millesime": "d", "geo_millesime": "d"}
SRC_FILOSOFI = f"{FILOSOFI} ; unité indiquée par ligne ; millésime des revenus en colonne."

CHARTS: list[Chart] = [
    # ---- Synthèse du territoire
    Chart(
        "s_taux_dep",
        "Taux de pauvreté du département",
        "big_number",
        DS_EPCI,
        f"{FILOSOFI}, seuil 60 % du niveau de vie médian métropolitain ; en %.",
        metrics=["valeur_departement_recente"],
        filters=[("indicateur_id", "==", "taux_pauvrete_60")],
        subheader="% des personnes sous le seuil de pauvreté (département)",
    ),
    Chart(
        "s_taux_fr",
        "Taux de pauvreté en France métropolitaine",
        "big_number",
        DS_EPCI,
        f"{FILOSOFI} ; en %.",
        metrics=["valeur_france_recente"],
        filters=[("indicateur_id", "==", "taux_pauvrete_60")],
        subheader="% — repère national",
    ),
    Chart(
        "s_pauvres_dep",
        "Personnes pauvres dans le département",
        "big_number",
        DS_EPCI,
        f"{FILOSOFI} ; nombre de personnes (estimation : taux × personnes des ménages fiscaux).",
        metrics=["valeur_departement_recente"],
        filters=[("indicateur_id", "==", "nb_personnes_pauvres")],
        formats={"valeur_departement_recente": ",.0f"},
        subheader="personnes sous le seuil de pauvreté",
    ),
    Chart(
        "s_nb_epci",
        "EPCI du diagnostic",
        "big_number",
        DS_EPCI,
        "INSEE, Code officiel géographique (EPCI au 1er janvier du millésime de géographie).",
        metrics=["nb_epci"],
        formats={"nb_epci": "d"},
        subheader="EPCI touchant le département",
    ),
    Chart(
        "s_chiffres_cles",
        "Chiffres clés par EPCI, département et France",
        "table_raw",
        DS_EPCI,
        SRC_FILOSOFI,
        "Valeur de l'EPCI face au département et à la France.",
        columns=[
            "libelle",
            "libelle_indicateur",
            "valeur_texte",
            "unite",
            "valeur_departement",
            "valeur_france",
            "statut_libelle",
            "millesime",
        ],
        filters=[("indicateur_id", "IN", KEY_INDICATORS)],
        orderby=[("libelle", True), ("libelle_indicateur", True)],
        formats=TABLE_FORMATS,
    ),
    Chart(
        "s_sensibles",
        "Situations locales sensibles par EPCI et facteur aggravant",
        "table_raw",
        DS_BESOINS,
        "entrepôt du diagnostic (marts.besoins_epci), d'après les indicateurs INSEE Filosofi et la règle indiquée.",
        "Facteurs aggravants pour lesquels l'EPCI est en situation sensible, avec les indicateurs en alerte.",
        columns=["libelle", "theme", "nb_indicateurs_sensibles", "nb_indicateurs", "indicateurs_sensibles", "regle"],
        where="situation_sensible",
        orderby=[("libelle", True), ("theme", True)],
    ),
    Chart(
        "s_profils",
        "Profils de pauvreté les plus fréquents dans le département",
        "bar",
        DS_PROFILS,
        f"{FILOSOFI} (marts.profils_departement) ; taux de pauvreté du profil, en %.",
        "Plus la barre est longue, plus le profil est touché.",
        x_axis="profil",
        metrics=["valeur_profil"],
        formats={"valeur_profil": ",.1f"},
    ),
    # ---- Étape 1 — Besoins
    Chart(
        "b_tous",
        "Tous les indicateurs de besoins par EPCI",
        "table_raw",
        DS_EPCI,
        SRC_FILOSOFI,
        "Une ligne par EPCI, indicateur et millésime. « secret » : valeur non diffusée (jamais 0).",
        columns=[
            "libelle",
            "libelle_indicateur",
            "valeur_texte",
            "unite",
            "valeur_departement",
            "valeur_france",
            "statut_libelle",
            "millesime",
            "periode",
            "source",
        ],
        orderby=[("libelle_indicateur", True), ("libelle", True)],
        formats=TABLE_FORMATS,
        row_limit=5000,
    ),
    Chart(
        "b_classement",
        "Classement des EPCI — indicateur choisi",
        "bar",
        DS_EPCI,
        f"{FILOSOFI} ; unité de l'indicateur choisi dans le filtre « Indicateur ».",
        "EPCI classés selon l'indicateur choisi ; les EPCI sous secret statistique n'apparaissent pas.",
        x_axis="libelle",
        metrics=["valeur_recente"],
        filters=[("valeur", "IS NOT NULL", None)],
    ),
    Chart(
        "b_facteurs",
        "Facteurs aggravants : taux de pauvreté par profil et par EPCI",
        "bar",
        DS_EPCI,
        f"{FILOSOFI} ; en % ; moins de 30 ans, 60-74 ans, 75 ans ou plus, propriétaires, locataires.",
        x_axis="libelle",
        columns=["libelle_indicateur"],
        metrics=["valeur_recente"],
        filters=[("indicateur_id", "IN", PROFILE_INDICATORS), ("valeur", "IS NOT NULL", None)],
    ),
    Chart(
        "b_communes",
        "Communes — indicateur choisi",
        "table_raw",
        DS_COMMUNE,
        f"{FILOSOFI}, niveau commune ; « secret » quand l'INSEE ne diffuse pas la valeur (jamais 0).",
        columns=["libelle", "libelle_epci", "libelle_indicateur", "valeur_texte", "unite", "statut_libelle", "millesime"],
        orderby=[("libelle_epci", True), ("libelle", True)],
        formats=TABLE_FORMATS,
        row_limit=5000,
    ),
    # ---- Étape 2 — Offre (context until the offre marts are published)
    Chart(
        "o_publics",
        "Publics potentiels par EPCI (dénominateurs de l'offre)",
        "table_agg",
        DS_EPCI,
        f"{FILOSOFI} ; nombre de personnes.",
        "Personnes pauvres et personnes des ménages fiscaux : bases des taux d'offre pour 1 000 pauvres ou 10 000 habitants.",
        columns=["libelle"],
        metrics=["nb_personnes_pauvres", "nb_personnes_menages_fiscaux", "valeurs_non_publiees"],
        orderby=[("nb_personnes_pauvres", False)],
        formats={"nb_personnes_pauvres": ",.0f", "nb_personnes_menages_fiscaux": ",.0f"},
    ),
    Chart(
        "o_thematiques",
        "Services recensés par thématique",
        "bar",
        DS_OFFRE,
        "Répertoires de l'offre (marts.offre_epci) ; nombre de services.",
        x_axis="libelle_thematique",
        metrics=["nb_services_total"],
        formats={"nb_services_total": ",d"},
    ),
    Chart(
        "o_offre",
        "Offre par EPCI et thématique",
        "table_raw",
        DS_OFFRE,
        "Répertoires de l'offre (marts.offre_epci) ; taux pour 10 000 habitants et pour 1 000 personnes pauvres (INSEE).",
        columns=[
            "libelle",
            "axe",
            "libelle_thematique",
            "nb_services",
            "nb_structures",
            "services_pour_10000_hab",
            "services_pour_1000_pauvres",
            "part_population_couverte",
            "distance_moyenne_km",
            "nb_dispositifs",
        ],
        orderby=[("libelle", True), ("libelle_thematique", True)],
        formats={
            "services_pour_10000_hab": ",.1f",
            "services_pour_1000_pauvres": ",.1f",
            "part_population_couverte": ",.1f",
            "distance_moyenne_km": ",.1f",
        },
        row_limit=5000,
    ),
    Chart(
        "o_dispositifs",
        "Tableau synthétique des dispositifs",
        "table_raw",
        DS_DISPOSITIFS,
        "Recensement des dispositifs par les partenaires du pacte (marts.dispositifs).",
        columns=[
            "intitule",
            "porteur",
            "mode_financement",
            "public_vise",
            "axe",
            "thematique",
            "couverture",
            "territoire",
            "difficultes",
            "pistes_developpement",
        ],
        orderby=[("axe", True), ("intitule", True)],
    ),
    Chart(
        "o_schemas",
        "Passages des schémas départementaux par axe",
        "table_raw",
        DS_SCHEMAS,
        "Schémas départementaux (PDI, SDAASP, schéma enfance-famille…) : passages classés par axe (marts.schemas_passages).",
        columns=["axe", "thematique", "titre", "type_schema", "page", "extrait"],
        orderby=[("axe", True), ("titre", True), ("page", True)],
    ),
    # ---- Écarts
    Chart(
        "e_ecarts",
        "Besoins peu ou non couverts d'abord : écarts par EPCI et thématique",
        "table_raw",
        DS_ECARTS,
        "Entrepôt du diagnostic (marts.ecarts_epci) : indice de besoin (INSEE Filosofi) et indice d'offre (répertoires).",
        columns=["libelle", "axe", "thematique", "niveau_couverture", "indice_besoin", "indice_offre", "ecart", "rang"],
        orderby=[("ecart", False)],
        formats={"indice_besoin": ",.2f", "indice_offre": ",.2f", "ecart": "+,.2f"},
        row_limit=5000,
    ),
    Chart(
        "e_non_couverts",
        "Thématiques peu ou non couvertes par EPCI",
        "bar",
        DS_ECARTS,
        "Entrepôt du diagnostic (marts.ecarts_epci) ; nombre de thématiques « non couvert » ou « partiellement couvert ».",
        x_axis="libelle",
        metrics=["nb_non_couverts"],
        formats={"nb_non_couverts": "d"},
    ),
    Chart(
        "e_ecart_dep",
        "Écart de l'EPCI à la valeur du département — indicateur choisi",
        "bar",
        DS_EPCI,
        f"{FILOSOFI} ; en points (%) ou dans l'unité de l'indicateur.",
        "Barre positive : l'EPCI est au-dessus du département.",
        x_axis="libelle",
        metrics=["ecart_departement"],
        filters=[("valeur", "IS NOT NULL", None)],
        formats={"ecart_departement": "+,.1f"},
    ),
    Chart(
        "e_tableau",
        "Besoins par EPCI face au département",
        "table_raw",
        DS_EPCI,
        SRC_FILOSOFI,
        "Indicateurs défavorables quand ils augmentent, du plus au moins éloigné de la valeur du département.",
        columns=["libelle", "libelle_indicateur", "valeur_texte", "valeur_departement", "unite", "statut_libelle", "millesime"],
        filters=[("indicateur_id", "IN", UNFAVOURABLE_UP)],
        orderby=[("libelle_indicateur", True), ("valeur", False)],
        formats=TABLE_FORMATS,
    ),
    # ---- Indicateurs T0
    Chart(
        "t_epci",
        "Indicateurs T0 par territoire",
        "table_raw",
        DS_T0,
        f"{FILOSOFI} (marts.indicateurs_t0) ; géographie : COG du millésime indiqué ; empreintes des fichiers sources.",
        "Table de référence T0 (EPCI et département) : « secret » et « non disponible » en toutes lettres, jamais 0.",
        columns=[
            "niveau",
            "code_territoire",
            "libelle",
            "libelle_indicateur",
            "unite",
            "millesime",
            "periode",
            "valeur_texte",
            "statut_libelle",
            "geo_millesime",
            "sources_sha256",
        ],
        orderby=[("niveau", False), ("libelle", True), ("libelle_indicateur", True), ("millesime", True), ("periode", True)],
        formats=TABLE_FORMATS,
        row_limit=10000,
    ),
    Chart(
        "t_millesimes",
        "Millésimes côte à côte (premier et dernier)",
        "table_agg",
        DS_T0,
        f"{FILOSOFI} (marts.indicateurs_t0) ; valeurs dans l'unité de l'indicateur.",
        "Pour la comparaison à mi-parcours : valeur au premier et au dernier millésime disponibles.",
        columns=["niveau", "libelle", "libelle_indicateur", "unite"],
        metrics=["premier_millesime", "valeur_premier_millesime", "dernier_millesime", "valeur_dernier_millesime"],
        orderby=[("premier_millesime", True)],
        formats={"premier_millesime": "d", "dernier_millesime": "d"},
        row_limit=10000,
    ),
    Chart(
        "b_carte",
        "Carte des EPCI — indicateur choisi",
        "map",
        DS_CARTE,
        f"{FILOSOFI} ; contours : communes regroupées par EPCI (marts.geo_epci) ; unité de l'indicateur choisi.",
        "Couleur selon la valeur de l'indicateur choisi ; EPCI sous secret statistique non colorés.",
        metrics=["valeur_recente"],
        filters=[("valeur", "IS NOT NULL", None)],
    ),
    Chart(
        "e_carte",
        "Carte des écarts au département — indicateur choisi",
        "map",
        DS_CARTE,
        f"{FILOSOFI} ; contours : marts.geo_epci ; écart en points (%) ou dans l'unité de l'indicateur.",
        "Couleur selon l'écart entre l'EPCI et le département pour l'indicateur choisi.",
        metrics=["ecart_departement"],
        filters=[("valeur", "IS NOT NULL", None)],
    ),
    # ---- Étape 2 — Offre: service points over the EPCI, a deck.gl multi-layer chart whose layers are
    # saved charts of their own (not placed on a dashboard): one polygon layer, one point layer per axe.
    Chart(
        "o_carte_fond",
        "Couche de la carte de l'offre — taux de pauvreté par EPCI",
        "map",
        DS_CARTE,
        f"{FILOSOFI} ; contours : marts.geo_epci ; en %.",
        "Fond de la « Carte des points de service sur le taux de pauvreté par EPCI » (couche, pas de tableau de bord).",
        metrics=["valeur_recente"],
        filters=[("indicateur_id", "==", "taux_pauvrete_60"), ("valeur", "IS NOT NULL", None)],
        scheme="white_black",
        opacity=45,
    ),
    *(
        Chart(
            f"o_points_axe{axe}",
            f"Couche de la carte de l'offre — points de service de l'axe {axe}",
            "points",
            DS_POINTS,
            "Répertoires de l'offre data·inclusion et Soliguide (marts.services_points).",
            f"Points de service de l'axe {axe} sur la « Carte des points de service sur le taux de pauvreté par EPCI » "
            "(couche, pas de tableau de bord).",
            columns=["nom", "libelle_thematique"],
            filters=[("axe", "==", str(axe))],
            color=color,
            radius=12 - 2 * axe,  # drawn from axe 1 (largest) to axe 4: axes at one place show as concentric rings
            row_limit=20000,
        )
        for axe, color in AXE_COLORS.items()
    ),
    Chart(
        "o_carte_services",
        "Carte des points de service sur le taux de pauvreté par EPCI",
        "multi",
        DS_POINTS,
        "Répertoires de l'offre data·inclusion et Soliguide (marts.services_points), un point par service et "
        f"thématique ; fond : {FILOSOFI}, taux de pauvreté (seuil 60 %) de l'EPCI, en %, du plus clair (faible) au plus "
        f"foncé (élevé) ; points : {', '.join(f'axe {a} en {n}' for a, n in AXE_COLOR_NAMES.items())} (cercles "
        "concentriques quand plusieurs axes sont présents au même endroit).",
        "Services localisés (coordonnées publiées, sinon point représentatif de la commune : les services d'une même "
        "commune se superposent) sur les EPCI colorés selon le taux de pauvreté ; survoler un point affiche le "
        "service et sa thématique.",
        metrics=["nb_services_points"],
        layers=["o_carte_fond", *(f"o_points_axe{axe}" for axe in AXE_COLORS)],
    ),
]
CHART_BY_KEY = {c.key: c for c in CHARTS}
DATASET_COLUMNS: dict[str, set[str]] = {}  # filled by main() from the YAML

# Hand-exported charts: (uuid, name, dataset, source line).
EXISTING = {
    "taux_table": (CH_TAUX_TABLE, "Taux de pauvreté par EPCI", DS_EPCI, f"{FILOSOFI} ; en %."),
    "taux_bar": (CH_TAUX_BAR, "Taux de pauvreté (seuil 60 %) — classement des EPCI", DS_EPCI, f"{FILOSOFI} ; en %."),
    "niveau_vie": (
        CH_NIVEAU_VIE,
        "Niveau de vie médian et personnes pauvres par EPCI",
        DS_EPCI,
        f"{FILOSOFI} ; € par an et par unité de consommation ; personnes.",
    ),
    "provenance": (
        CH_PROVENANCE,
        "Provenance des données",
        DS_PROVENANCE,
        "Entrepôt du diagnostic : fichiers chargés, empreinte SHA-256, date de chargement.",
    ),
    "synthetiques": (
        CH_SYNTHETIQUES,
        "Fichiers de données synthétiques",
        DS_PROVENANCE,
        "Entrepôt du diagnostic (marts.provenance).",
    ),
}

# --------------------------------------------------------------------------- dashboards


@dataclass
class Dashboard:
    slug: str
    title: str
    uuid: str
    intro: str
    rows: list[list[tuple[str, int, int]]]  # (chart key, width, height) per row
    filters: list[str]  # departement, epci, millesime, indicateur, indicateur_multi


SECRET_NOTE = (
    "**Secret statistique.** Quand l'INSEE ne diffuse pas une valeur, elle apparaît comme « secret » "
    "(ou « non disponible ») — jamais 0 ; « (estimé) » signale une valeur recalculée depuis les communes."
)
OFFRE_INTRO = (
    "Services recensés par thématique et par EPCI (taux pour 10 000 habitants et pour 1 000 personnes pauvres), "
    "tableau synthétique des dispositifs (porteur, financement, difficultés, couverture, pistes) et passages des "
    "schémas départementaux classés par axe. La carte situe les points de service, colorés par axe du Pacte, sur les "
    "EPCI colorés selon leur taux de pauvreté."
)
DASHBOARDS = [
    Dashboard(
        "synthese-territoire",
        "Synthèse du territoire",
        str(uuid.uuid5(NAMESPACE, "dashboard:synthese")),
        "### Synthèse du territoire\n\nChiffres clés des EPCI face au département et à la France, situations "
        f"locales sensibles et profils de pauvreté.\n\n{SECRET_NOTE}",
        [
            [("s_taux_dep", 3, 30), ("s_taux_fr", 3, 30), ("s_pauvres_dep", 3, 30), ("s_nb_epci", 3, 30)],
            [("s_chiffres_cles", 7, 70), ("s_profils", 5, 70)],
            [("s_sensibles", 12, 60)],
        ],
        ["departement", "epci", "millesime"],
    ),
    Dashboard(
        "etape-1-besoins",
        "Étape 1 — Besoins",
        ETAPE1_UUID,
        "### Étape 1 — Besoins\n\nIndicateurs de besoins par EPCI (tableau et classement), profils, facteurs "
        "aggravants et détail communal. Choisir l'indicateur dans le filtre « Indicateur ». Le taux de "
        "pauvreté est estimé depuis les communes quand il n'est pas publié : Σ(taux × personnes) / "
        f"Σ(personnes).\n\n{SECRET_NOTE}\n\n**Données de démonstration.** Si le compteur de fichiers "
        "synthétiques est supérieur à 0, les chiffres sont synthétiques : ne pas les diffuser.",
        [
            [("synthetiques", 4, 30)],
            [("taux_bar", 6, 60), ("taux_table", 6, 60)],
            [("b_carte", 6, 80), ("b_classement", 6, 80)],
            [("b_facteurs", 12, 70)],
            [("b_tous", 12, 70)],
            [("niveau_vie", 6, 60), ("b_communes", 6, 60)],
            [("provenance", 12, 50)],
        ],
        ["departement", "epci", "axe", "millesime", "indicateur"],
    ),
    Dashboard(
        "etape-2-offre",
        "Étape 2 — Offre",
        str(uuid.uuid5(NAMESPACE, "dashboard:offre")),
        f"### Étape 2 — Offre\n\n{OFFRE_INTRO}",
        [
            [("o_thematiques", 5, 70), ("o_publics", 7, 70)],
            [("o_carte_services", 12, 100)],
            [("o_offre", 12, 70)],
            [("o_dispositifs", 12, 70)],
            [("o_schemas", 12, 70)],
        ],
        ["departement", "epci", "millesime"],
    ),
    Dashboard(
        "ecarts-besoins-offre",
        "Écarts besoins / offre",
        str(uuid.uuid5(NAMESPACE, "dashboard:ecarts")),
        "### Écarts besoins / offre\n\nPar EPCI, axe et thématique : indice de besoin, indice d'offre, écart et "
        "niveau de couverture, les besoins peu ou non couverts d'abord ; puis l'écart de chaque EPCI à la valeur "
        f"du département, en carte et en classement.\n\n{SECRET_NOTE}",
        [
            [("e_ecarts", 7, 80), ("e_non_couverts", 5, 80)],
            [("e_carte", 6, 80), ("e_ecart_dep", 6, 80)],
            [("e_tableau", 12, 70)],
        ],
        ["departement", "epci", "axe", "millesime", "indicateur"],
    ),
    Dashboard(
        "indicateurs-t0",
        "Indicateurs T0",
        str(uuid.uuid5(NAMESPACE, "dashboard:t0")),
        "### Indicateurs T0\n\nValeurs de référence du diagnostic pour la comparaison à mi-parcours, par EPCI "
        f"et pour le département, millésimes côte à côte.\n\n{SECRET_NOTE}",
        [[("t_epci", 12, 80)], [("t_millesimes", 12, 70)], [("provenance", 12, 50)]],
        ["departement", "epci", "axe", "millesime", "indicateur_multi"],
    ),
]

# Columns of each dataset, to keep a native filter off the charts that cannot use it.
FILTERS = {
    "departement": ("Département", "code_departement", "Code du département (ex. 16).", False, True),
    "epci": ("EPCI", "libelle", "Nom de l'EPCI.", False, True),
    "millesime": (
        "Millésime",
        "millesime",
        "Millésime(s) des données ; vide : tous, et les graphiques « dernier millésime » prennent le plus récent publié.",
        False,
        False,
    ),
    "indicateur": (
        "Indicateur",
        "libelle_indicateur",
        "Indicateur affiché par les graphiques « indicateur choisi » (taux de pauvreté par défaut).",
        True,
        True,
    ),
    "indicateur_multi": ("Indicateur", "libelle_indicateur", "Indicateurs à afficher (tous si vide).", False, True),
    "axe": ("Axe", "axe", "Axe du pacte (1, 2, 3) ou « contexte ».", False, False),
}
# Charts a filter must not reach: other dataset without the column, or a chart with a fixed indicator.
FIXED_INDICATOR = {
    "s_taux_dep",
    "s_taux_fr",
    "s_pauvres_dep",
    "s_chiffres_cles",
    "s_sensibles",
    "s_profils",
    "taux_table",
    "taux_bar",
    "niveau_vie",
    "b_facteurs",
    "b_tous",
    "o_publics",
    "o_carte_services",
    "e_tableau",
    "t_millesimes",
}


def _chart_datasets(chart_key: str) -> list[str]:
    """The chart's dataset, then those of its layers (a multi-layer map passes its filters to every layer)."""
    if chart_key in CHART_BY_KEY:
        chart = CHART_BY_KEY[chart_key]
        return [chart.dataset, *(CHART_BY_KEY[layer].dataset for layer in chart.layers)]
    return [EXISTING[chart_key][2]]


def _excluded(filter_key: str, chart_key: str) -> bool:
    dataset, *layers = _chart_datasets(chart_key)
    if any(FILTERS[filter_key][1] not in DATASET_COLUMNS[d] for d in (dataset, *layers)):
        return True  # the chart's dataset (or one of its layers') has no such column
    if filter_key == "epci" and dataset == DS_COMMUNE:
        return True  # libelle is the commune there
    if filter_key.startswith("indicateur") or filter_key == "axe":
        return chart_key in FIXED_INDICATOR
    return filter_key == "millesime" and chart_key == "t_millesimes"


# « indicateur choisi » charts open on the poverty rate, published for every Filosofi vintage
# (a first-item default could pick an indicator absent from the default millésime).
DEFAULT_INDICATOR = "Taux de pauvreté (seuil 60 %)"


def _default_mask(filter_key: str) -> dict[str, Any]:
    if filter_key != "indicateur":
        return {"extraFormData": {}, "filterState": {}, "ownState": {}}
    return {
        "extraFormData": {"filters": [{"col": "libelle_indicateur", "op": "IN", "val": [DEFAULT_INDICATOR]}]},
        "filterState": {"value": [DEFAULT_INDICATOR], "label": DEFAULT_INDICATOR},
        "ownState": {},
    }


def _cascade_parents(filter_key: str, filters: list[str]) -> list[str]:
    """EPCI options follow the département."""
    if filter_key == "epci":
        return ["NATIVE_FILTER-departement"]
    return []


def _chart_meta(key: str) -> tuple[str, str, str]:
    if key in CHART_BY_KEY:
        chart = CHART_BY_KEY[key]
        return chart.uuid, chart.name, chart.source
    uuid_, name, _dataset, source = EXISTING[key]
    return uuid_, name, source


def chart_ids() -> dict[str, int]:
    """Stable placeholder chart ids (the importer remaps them by uuid)."""
    return {key: i + 1 for i, key in enumerate([*EXISTING, *CHART_BY_KEY])}


def _source_height(source: str, width: int) -> int:
    """Grid height (8 px units) of a « Source » note: two lines fit in 12, each further line takes 3; a line holds
    about 15 characters per grid column, less the padding."""
    lines = -(-len(f"Source : {source}") // (15 * width - 12))
    return 12 + 3 * max(0, lines - 2)


def dashboard_yaml(dash: Dashboard) -> dict[str, Any]:
    ids = chart_ids()
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
        "HEADER_ID": {"id": "HEADER_ID", "type": "HEADER", "meta": {"text": dash.title}},
    }
    rows = [[("__intro__", 12, 30)], *dash.rows]
    used: list[str] = []
    for r, row in enumerate(rows):
        row_id = f"ROW-{r}"
        position["GRID_ID"]["children"].append(row_id)
        position[row_id] = {
            "type": "ROW",
            "id": row_id,
            "children": [],
            "parents": ["ROOT_ID", "GRID_ID"],
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
        }
        for key, width, height in row:
            if key == "__intro__":
                md_id = "MARKDOWN-intro"
                position[row_id]["children"].append(md_id)
                position[md_id] = {
                    "type": "MARKDOWN",
                    "id": md_id,
                    "children": [],
                    "parents": ["ROOT_ID", "GRID_ID", row_id],
                    "meta": {"width": width, "height": height, "code": dash.intro},
                }
                continue
            used.append(key)
            uuid_, name, source = _chart_meta(key)
            col_id, chart_id, src_id = f"COLUMN-{key}", f"CHART-{key}", f"MARKDOWN-source-{key}"
            position[row_id]["children"].append(col_id)
            parents = ["ROOT_ID", "GRID_ID", row_id, col_id]
            position[col_id] = {
                "type": "COLUMN",
                "id": col_id,
                "children": [chart_id, src_id],
                "parents": ["ROOT_ID", "GRID_ID", row_id],
                "meta": {"width": width, "background": "BACKGROUND_TRANSPARENT"},
            }
            position[chart_id] = {
                "type": "CHART",
                "id": chart_id,
                "children": [],
                "parents": parents,
                "meta": {"width": width, "height": height, "chartId": ids[key], "sliceName": name, "uuid": uuid_},
            }
            position[src_id] = {
                "type": "MARKDOWN",
                "id": src_id,
                "children": [],
                "parents": parents,
                "meta": {"width": width, "height": _source_height(source, width), "code": f"<small>Source : {source}</small>"},
            }
    native_filters = []
    for fkey in dash.filters:
        label, column, description, single, search = FILTERS[fkey]
        native_filters.append(
            {
                "id": f"NATIVE_FILTER-{fkey.replace('_', '-')}",
                "name": label,
                "filterType": "filter_select",
                "type": "NATIVE_FILTER",
                "description": description,
                "targets": [{"column": {"name": column}, "datasetUuid": DS_EPCI}],
                "controlValues": {
                    "enableEmptyFilter": single,
                    "defaultToFirstItem": single and fkey != "indicateur",
                    "multiSelect": not single,
                    "searchAllOptions": search,
                    "inverseSelection": False,
                    "sortAscending": fkey != "millesime",
                },
                "defaultDataMask": _default_mask(fkey),
                "cascadeParentIds": _cascade_parents(fkey, dash.filters),
                "requiredFirst": single and fkey != "indicateur",  # apply the first value on load
                "scope": {"rootPath": ["ROOT_ID"], "excluded": sorted({ids[k] for k in used if _excluded(fkey, k)})},
            }
        )
    metadata = {
        "native_filter_configuration": native_filters,
        "chart_configuration": {},
        "global_chart_configuration": {"scope": {"rootPath": ["ROOT_ID"], "excluded": []}},
        "cross_filters_enabled": False,
        "color_scheme": "",
        "refresh_frequency": 0,
        "expanded_slices": {},
        "label_colors": {},
        "shared_label_colors": [],
        "color_scheme_domain": [],
        "timed_refresh_immune_slices": [],
        "filter_bar_orientation": "VERTICAL",
        "map_label_colors": {},
    }
    return {
        "dashboard_title": dash.title,
        "description": None,
        "css": "",
        "slug": dash.slug,
        "certified_by": None,
        "certification_details": None,
        "published": True,
        "uuid": dash.uuid,
        "position": position,
        "metadata": metadata,
        "theme_uuid": None,
        "version": "1.0.0",
    }


# --------------------------------------------------------------------------- output


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")


def write_yaml(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")


def main() -> None:
    extend_dataset(
        BUNDLE / "datasets/pacte/indicateurs_epci.yaml", COMPUTED_COLUMNS + EPCI_EXTRA_COLUMNS, INDICATOR_METRICS + EPCI_METRICS
    )
    extend_dataset(
        BUNDLE / "datasets/pacte/provenance.yaml",
        [_column("code_departement", "Département", "VARCHAR"),
         _column("rattachement_departement", "Rattachement au département", "VARCHAR")],
        [],
    )
    for dataset in generated_datasets():
        write_yaml(BUNDLE / "datasets/pacte" / f"{dataset['table_name']}.yaml", dataset)
    for path in (BUNDLE / "datasets").rglob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        DATASET_COLUMNS[data["uuid"]] = {c["column_name"] for c in data["columns"]}
    exported = {uuid_ for uuid_, *_rest in EXISTING.values()}
    for path in (BUNDLE / "charts").glob("*.yaml"):  # the generator owns every chart but the exported ones
        if yaml.safe_load(path.read_text(encoding="utf-8"))["uuid"] not in exported:
            path.unlink()
    for chart in CHARTS:
        write_yaml(BUNDLE / "charts" / f"{slugify(chart.name)}.yaml", chart_yaml(chart))
    for old in (BUNDLE / "dashboards").glob("*.yaml"):
        old.unlink()
    for dash in DASHBOARDS:
        write_yaml(BUNDLE / "dashboards" / f"{slugify(dash.slug)}.yaml", dashboard_yaml(dash))
    print(f"Bundle régénéré : {len(CHARTS)} graphiques générés, {len(DASHBOARDS)} tableaux de bord.")


if __name__ == "__main__":
    main()
