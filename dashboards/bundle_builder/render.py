"""Superset 6.1 import YAML (datasets, charts, dashboards) and dbt exposures, rendered from the spec.

Every chart sits in a column above a one-line « Source » note, so committee members read the source, unit
and millésime right under each chart. Native filters reach only the charts whose dataset has their column
(and not the charts of a fixed indicator, nor, for the millésime filter, the charts of the latest millésime).
A multi-layer map lists its layers by uuid in params.pacte_couches; `manage.py import` puts their instance
ids in params.deck_slices (Superset's importer does not remap them).
"""

from __future__ import annotations

import json
from typing import Any

from dashboards.bundle_builder.model import Chart, Dashboard, Dataset, Spec

VIEWPORT = {"longitude": 2.4, "latitude": 46.6, "zoom": 5, "bearing": 0, "pitch": 0}
COUNT_METRIC = {"metric_name": "count", "verbose_name": "Nombre de lignes", "metric_type": None, "expression": "COUNT(*)",
                "description": None, "d3format": ",d", "currency": None, "extra": None, "warning_text": None}


# --------------------------------------------------------------------------- datasets


def dataset_yaml(spec: Spec, dataset: Dataset) -> dict[str, Any]:
    columns = [
        {"column_name": c.name, "verbose_name": c.libelle, "is_dttm": False, "is_active": True, "type": c.data_type,
         "advanced_data_type": None, "groupby": True, "filterable": True, "expression": None,
         "description": c.description, "python_date_format": None, "datetime_format": None, "extra": None}
        for c in dataset.columns
    ]
    metrics = [
        {"metric_name": m.name, "verbose_name": m.libelle, "metric_type": None, "expression": m.expression,
         "description": m.description, "d3format": m.format, "currency": None, "extra": None, "warning_text": None}
        for m in dataset.metrics
    ]
    return {
        "table_name": dataset.table, "main_dttm_col": None, "currency_code_column": None,
        "description": dataset.description, "default_endpoint": None, "offset": 0, "cache_timeout": None,
        "catalog": None, "schema": dataset.schema, "sql": None, "params": None, "template_params": None,
        "filter_select_enabled": True, "fetch_values_predicate": None, "extra": None, "normalize_columns": False,
        "always_filter_main_dttm": False, "folders": None, "uuid": dataset.uuid,
        "metrics": sorted([COUNT_METRIC, *metrics], key=lambda m: m["metric_name"]), "columns": columns,
        "version": "1.0.0", "database_uuid": spec.database_uuid,
    }


# --------------------------------------------------------------------------- charts


def _adhoc_filters(chart: Chart) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = [
        {"clause": "WHERE", "subject": col, "operator": op, "comparator": val, "expressionType": "SIMPLE"}
        for col, op, val in chart.filters
    ]
    if chart.where:
        filters.append({"clause": "WHERE", "sqlExpression": chart.where, "expressionType": "SQL"})
    if chart.having:
        filters.append({"clause": "HAVING", "sqlExpression": chart.having, "expressionType": "SQL"})
    return filters


def chart_ids(spec: Spec) -> dict[str, int]:
    """Stable placeholder chart ids (the importer remaps them by uuid)."""
    return {key: i + 1 for i, key in enumerate(spec.charts)}


def _table_params(chart: Chart, column_config: dict[str, Any]) -> dict[str, Any]:
    return {
        "row_limit": chart.row_limit, "server_pagination": False, "server_page_length": 20,
        # no search box: Superset labels it « N records… » in English whatever the language
        "include_search": False,
        "show_cell_bars": False, "allow_render_html": False, "table_timestamp_format": "smart_date",
        "column_config": column_config, "conditional_formatting": [], "annotation_layers": [],
        "show_totals": False, "page_length": 0,
    }


def chart_yaml(spec: Spec, chart: Chart) -> dict[str, Any]:  # noqa: C901 - one branch per chart type
    dataset = spec.datasets[chart.dataset]
    params: dict[str, Any] = {"viz_type": "", "datasource": "1__table", "adhoc_filters": _adhoc_filters(chart),
                              "extra_form_data": {}}
    query: dict[str, Any] = {
        "annotation_layers": [], "applied_time_extras": {}, "custom_form_data": {}, "custom_params": {},
        "extras": {"having": f"({chart.having})" if chart.having else "", "where": f"({chart.where})" if chart.where else ""},
        "filters": [{"col": c, "op": o, **({} if v is None else {"val": v})} for c, o, v in chart.filters],
        "order_desc": True, "row_limit": chart.row_limit, "series_limit": 0, "time_offsets": [], "post_processing": [],
    }
    shown = {*chart.columns, *chart.metrics}
    column_config = {name: {"d3NumberFormat": fmt} for name, fmt in chart.formats.items() if name in shown}
    orderby = [[o[0], o[1]] for o in chart.orderby]
    if chart.viz == "table_raw":
        params.update(viz_type="table", query_mode="raw", all_columns=chart.columns,
                      order_by_cols=[json.dumps([c, asc]) for c, asc in orderby], **_table_params(chart, column_config))
        query.update(columns=chart.columns, metrics=None, orderby=orderby)
    elif chart.viz == "table_agg":
        params.update(viz_type="table", query_mode="aggregate", groupby=chart.columns, metrics=chart.metrics,
                      all_columns=[], order_by_cols=[], percent_metrics=[], **_table_params(chart, column_config))
        if orderby and orderby[0][0] in chart.metrics:
            params.update(timeseries_limit_metric=orderby[0][0], order_desc=not orderby[0][1])
        query.update(columns=chart.columns, metrics=chart.metrics, orderby=orderby)
    elif chart.viz == "bar":
        assert chart.x_axis and len(chart.metrics) == 1, chart.key
        metric = chart.metrics[0]
        x_label = chart.x_axis_label or chart.x_axis
        params.update(
            viz_type="echarts_timeseries_bar", metrics=chart.metrics, groupby=chart.columns,
            orientation="horizontal" if chart.horizontal else "vertical",
            x_axis_sort=metric if not chart.columns else x_label, x_axis_sort_asc=True, x_axis_sort_series="name",
            x_axis_sort_series_ascending=True, row_limit=chart.row_limit, truncate_metric=True,
            show_empty_columns=True, comparison_type="values", annotation_layers=[], forecastEnabled=False,
            show_value=True, show_legend=bool(chart.columns), legendType="scroll", legendOrientation="top",
            x_axis_title="", y_axis_title="", y_axis_format=_format(chart, dataset, metric), truncateYAxis=False,
            rich_tooltip=True, color_scheme="supersetColors", only_total=True, zoomable=False, time_grain_sqla=None,
        )
        if chart.x_axis_label:  # an expression (e.g. the EPCI and its millésime)
            params["x_axis"] = {"expressionType": "SQL", "sqlExpression": chart.x_axis, "label": x_label}
        else:
            params["x_axis"] = chart.x_axis
        axis = {"columnType": "BASE_AXIS", "expressionType": "SQL", "isColumnReference": not chart.x_axis_label,
                "label": x_label, "sqlExpression": chart.x_axis}
        query.update(columns=[axis, *chart.columns], metrics=chart.metrics, series_columns=chart.columns,
                     orderby=[[metric, False]])
    elif chart.viz == "map":
        (metric,) = chart.metrics
        tooltip = chart.tooltip or ["libelle"]
        params.update(
            viz_type="deck_polygon", line_column="contour", line_type="json", reverse_long_lat=False, metric=metric,
            point_radius_fixed={"type": "fix", "value": 0}, fill_color_picker={"r": 3, "g": 65, "b": 73, "a": 1},
            stroke_color_picker={"r": 60, "g": 60, "b": 60, "a": 1}, filled=True, stroked=True, extruded=False,
            line_width=1, line_width_unit="pixels", opacity=chart.opacity, color_scheme_type="linear_palette",
            linear_color_scheme=chart.scheme, num_buckets=5, legend_position="bl",
            legend_format=_format(chart, dataset, metric, chart.legend_format), mapbox_style=_tile(spec), viewport=VIEWPORT,
            autozoom=True, row_limit=chart.row_limit, js_columns=[], tooltip_contents=tooltip, table_filter=False,
            toggle_polygons=True, multiplier=1,
        )
        query.update(columns=["contour", *tooltip], metrics=[metric], orderby=[[metric, False]])
    elif chart.viz == "points":
        assert chart.color is not None, chart.key
        r, g, b = chart.color
        labels = {c.name: c.libelle for c in dataset.columns}
        params.update(
            viz_type="deck_scatter", spatial={"type": "latlong", "latCol": "latitude", "lonCol": "longitude"},
            point_radius_fixed={"type": "fix", "value": 500}, point_unit="radius_m", min_radius=chart.radius,
            max_radius=chart.radius + 6, multiplier=1, color_picker={"r": r, "g": g, "b": b, "a": 1}, dimension=None,
            color_scheme="supersetColors", mapbox_style=_tile(spec), viewport=VIEWPORT, autozoom=True,
            row_limit=chart.row_limit, js_columns=[],
            tooltip_contents=[{"item_type": "column", "column_name": c, "verbose_name": labels[c]} for c in chart.columns],
            time_grain_sqla=None,
        )
        query.update(columns=["longitude", "latitude", *chart.columns], metrics=[], orderby=[])
    elif chart.viz == "multi":
        ids = chart_ids(spec)
        params.update(
            viz_type="deck_multi", deck_slices=[ids[key] for key in chart.layers],  # `manage.py import` relinks
            pacte_couches=[spec.charts[key].uuid for key in chart.layers], mapbox_style=_tile(spec),
            viewport=VIEWPORT, autozoom=True,
        )
        query.update(columns=[], metrics=chart.metrics, orderby=[])
    elif chart.viz == "big_number":
        (metric,) = chart.metrics
        params.update(viz_type="big_number_total", metric=metric, subheader=chart.subheader,
                      y_axis_format=_format(chart, dataset, metric), header_font_size=0.4, subheader_font_size=0.15,
                      time_format="smart_date", annotation_layers=[])
        query.update(columns=[], metrics=[metric], orderby=[])
    form_data = {**params, "force": False, "result_format": "json", "result_type": "full"}
    query_context = {"datasource": {"id": 1, "type": "table"}, "force": False, "form_data": form_data,
                     "queries": [query], "result_format": "json", "result_type": "full"}
    return {
        "slice_name": chart.name, "description": f"{chart.description} Source : {chart.source}".strip(),
        "certified_by": None, "certification_details": None, "viz_type": params["viz_type"], "params": params,
        "query_context": json.dumps(query_context, ensure_ascii=False, sort_keys=True), "cache_timeout": None,
        "uuid": chart.uuid, "version": "1.0.0", "dataset_uuid": dataset.uuid,
    }


def _format(chart: Chart, dataset: Dataset, metric: str, default: str = ",.1f") -> str:
    """The chart's number format for a measure, else the measure's own, else one decimal."""
    declared = next((m.format for m in dataset.metrics if m.name == metric and m.format), None)
    return chart.formats.get(metric) or declared or default


def _tile(spec: Spec) -> str:
    """Transparent tile served by superset_config.py; `manage.py import` puts the public URL in place."""
    return f"tile://{spec.public_url_placeholder}/pacte/tuile-vide.png"


# --------------------------------------------------------------------------- dashboards


def _excluded(spec: Spec, filter_key: str, chart: Chart) -> bool:
    column = spec.filters[filter_key].column
    if filter_key in chart.filtres_exclus:
        return True  # e.g. a table of every indicator on a dashboard whose « Indicateur » filter picks one
    if any(not d.has_column(column) for d in spec.chart_datasets(chart)):
        return True  # the chart's dataset (or one of its layers') has no such column
    if column in ("libelle_indicateur", "indicateur_id", "libelle_axe") and chart.indicateur_fixe:
        return True
    if column == "millesime" and (chart.dernier_millesime or chart.compare_millesimes):
        return True
    return filter_key == "epci" and spec.datasets[chart.dataset].table == "indicateurs_commune"  # libelle: commune


def _default_mask(spec: Spec, filter_key: str) -> dict[str, Any]:
    f = spec.filters[filter_key]
    if not f.default:
        return {"extraFormData": {}, "filterState": {}, "ownState": {}}
    return {"extraFormData": {"filters": [{"col": f.column, "op": "IN", "val": [f.default]}]},
            "filterState": {"value": [f.default], "label": f.default}, "ownState": {}}


def _source_height(source: str, width: int) -> int:
    """Grid height (8 px units) of a « Source » note: two lines fit in 12, each further line takes 3; a line
    holds about 15 characters per grid column, less the padding."""
    lines = -(-len(f"Source : {source}") // (15 * width - 12))
    return 12 + 3 * max(0, lines - 2)


def _intro(dash: Dashboard) -> str:
    """The introduction, with the link to the dashboard as a PDF (dashboards/pacte_web.py)."""
    return (f"{dash.intro}\n\n[Télécharger ce tableau de bord en PDF](/pacte/pdf/{dash.slug}) — toutes les lignes de "
            "chaque tableau, pour une réunion du comité.")


def dashboard_yaml(spec: Spec, dash: Dashboard) -> dict[str, Any]:
    ids = chart_ids(spec)
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
        "HEADER_ID": {"id": "HEADER_ID", "type": "HEADER", "meta": {"text": dash.title}},
    }
    for r, row in enumerate([[["__intro__", 12, 30]], *dash.rows]):
        row_id = f"ROW-{r}"
        position["GRID_ID"]["children"].append(row_id)
        position[row_id] = {"type": "ROW", "id": row_id, "children": [], "parents": ["ROOT_ID", "GRID_ID"],
                            "meta": {"background": "BACKGROUND_TRANSPARENT"}}
        for key, width, height in row:
            if key == "__intro__":
                position[row_id]["children"].append("MARKDOWN-intro")
                position["MARKDOWN-intro"] = {"type": "MARKDOWN", "id": "MARKDOWN-intro", "children": [],
                                              "parents": ["ROOT_ID", "GRID_ID", row_id],
                                              "meta": {"width": width, "height": height, "code": _intro(dash)}}
                continue
            chart = spec.charts[key]
            col_id, chart_id, src_id = f"COLUMN-{key}", f"CHART-{key}", f"MARKDOWN-source-{key}"
            position[row_id]["children"].append(col_id)
            parents = ["ROOT_ID", "GRID_ID", row_id, col_id]
            position[col_id] = {"type": "COLUMN", "id": col_id, "children": [chart_id, src_id],
                                "parents": ["ROOT_ID", "GRID_ID", row_id],
                                "meta": {"width": width, "background": "BACKGROUND_TRANSPARENT"}}
            position[chart_id] = {"type": "CHART", "id": chart_id, "children": [], "parents": parents,
                                  "meta": {"width": width, "height": height, "chartId": ids[key],
                                           "sliceName": chart.name, "uuid": chart.uuid}}
            position[src_id] = {"type": "MARKDOWN", "id": src_id, "children": [], "parents": parents,
                                "meta": {"width": width, "height": _source_height(chart.source, width),
                                         "code": f"<small>Source : {chart.source}</small>"}}
    charts = [spec.charts[k] for k in dash.chart_keys()]
    native_filters = []
    for fkey in dash.filters:
        f = spec.filters[fkey]
        native_filters.append({
            "id": f"NATIVE_FILTER-{fkey.replace('_', '-')}", "name": f.libelle, "filterType": "filter_select",
            "type": "NATIVE_FILTER", "description": f.description,
            "targets": [{"column": {"name": f.column}, "datasetUuid": spec.datasets[f.dataset].uuid}],
            "controlValues": {"enableEmptyFilter": f.single, "defaultToFirstItem": f.single and not f.default,
                              "multiSelect": not f.single, "searchAllOptions": f.search, "inverseSelection": False,
                              "sortAscending": f.column != "millesime"},
            "defaultDataMask": _default_mask(spec, fkey),
            "cascadeParentIds": [f"NATIVE_FILTER-{p}" for p in f.cascade if p in dash.filters],
            "requiredFirst": f.single and not f.default,
            "scope": {"rootPath": ["ROOT_ID"], "excluded": sorted({ids[c.key] for c in charts if _excluded(spec, fkey, c)})},
        })  # fmt: skip
    metadata = {
        "native_filter_configuration": native_filters, "chart_configuration": {},
        "global_chart_configuration": {"scope": {"rootPath": ["ROOT_ID"], "excluded": []}},
        "cross_filters_enabled": False, "color_scheme": "", "refresh_frequency": 0, "expanded_slices": {},
        "label_colors": {}, "shared_label_colors": [], "color_scheme_domain": [], "timed_refresh_immune_slices": [],
        "filter_bar_orientation": "VERTICAL", "map_label_colors": {},
    }
    return {"dashboard_title": dash.title, "description": None, "css": "", "slug": dash.slug, "certified_by": None,
            "certification_details": None, "published": True, "uuid": dash.uuid, "position": position,
            "metadata": metadata, "theme_uuid": None, "version": "1.0.0"}


# --------------------------------------------------------------------------- dbt exposures


def _first_paragraph(markdown: str) -> str:
    paragraphs = [p.strip() for p in markdown.split("\n\n") if p.strip() and not p.lstrip().startswith("#")]
    return " ".join(paragraphs[0].split()) if paragraphs else ""


def exposures(spec: Spec) -> dict[str, Any]:
    """One dbt exposure per dashboard, depending on the marts its charts (and their layers) read."""
    out = []
    for dash in spec.dashboards:
        marts = sorted({d.table for k in dash.chart_keys() for d in spec.chart_datasets(spec.charts[k])}
                       | {spec.datasets[spec.filters[f].dataset].table for f in dash.filters})
        out.append({
            "name": "tableau_de_bord_" + dash.slug.replace("-", "_"), "label": dash.title, "type": "dashboard",
            "maturity": "medium", "url": f"http://127.0.0.1:8088/superset/dashboard/{dash.slug}/",
            "description": _first_paragraph(dash.intro) or dash.title,
            "depends_on": [f"ref('{m}')" for m in marts],
            "owner": {"name": "DDETS — cellule diagnostic territorial"},
        })
    return {"version": 2, "exposures": out}

