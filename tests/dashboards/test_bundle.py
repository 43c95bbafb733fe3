"""The YAML bundle as code: consistency checks without a server (a few ms), plus the marts it reads.

* the bundle and the dbt exposures are what dashboards/spec renders (`make dashboards`);
* the spec refuses what would mislead a comité (a chart aggregating several millésimes without saying so);
* the connection is read-only (DuckDB read_only, no DML, no upload) and exposed to SQL Lab for analysts;
* every chart references a dataset of the bundle and only columns/metrics that dataset declares;
* every dataset is a physical table of schema marts that exists in the served file, with its columns;
* the seven dashboards exist, every chart has a « Source » line right under it, native filters target real columns;
* a multi-layer map lists its layers (charts of the bundle, placed on no dashboard) by uuid.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")

REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO / "dashboards" / "bundle"
PLACEHOLDER_URI = "duckdb:///__PACTE_SERVED_DB__"
DASHBOARDS = {
    "synthese-territoire": "Synthèse du territoire",
    "etape-1-besoins": "Étape 1 — Besoins",
    "etape-2-offre": "Étape 2 — Offre",
    "ecarts-besoins-offre": "Écarts besoins / offre",
    "indicateurs-t0": "Indicateurs T0",
    "suivi-mi-parcours": "Suivi à mi-parcours",
    "etape-3-pistes": "Étape 3 — Pistes et fiches actions",
}


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def bundle(kind: str, root: Path = BUNDLE) -> dict[str, dict[str, Any]]:
    """Objects of one kind, by uuid."""
    return {obj["uuid"]: obj for obj in (_load(p) for p in sorted((root / kind).rglob("*.yaml")))}


def _column_name(ref: Any) -> str | None:
    if isinstance(ref, str):
        return ref
    if isinstance(ref, dict) and (ref.get("isColumnReference") or ref.get("expressionType") is None):
        return ref.get("sqlExpression") or ref.get("column_name") or ref.get("label")
    return None


def chart_refs(chart: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(columns, saved metrics) referenced by a chart's params and saved query_context."""
    params = chart["params"]
    columns: set[str] = set()
    metrics: set[str] = set()

    def add_column(ref: Any) -> None:
        if name := _column_name(ref):
            columns.add(name)

    def add_metric(ref: Any) -> None:
        if isinstance(ref, str):
            metrics.add(ref)
        elif isinstance(ref, dict) and ref.get("expressionType") == "SIMPLE":
            columns.add(ref["column"]["column_name"])

    for key in ("all_columns", "groupby", "columns", "series_columns"):
        for ref in params.get(key) or []:
            add_column(ref)
    if params.get("x_axis"):
        add_column(params["x_axis"])
    for key in ("metrics", "percent_metrics"):
        for ref in params.get(key) or []:
            add_metric(ref)
    for key in ("metric", "timeseries_limit_metric"):
        if params.get(key):
            add_metric(params[key])
    for flt in params.get("adhoc_filters") or []:
        if flt.get("expressionType") == "SIMPLE":
            add_column(flt["subject"])
    for raw in params.get("order_by_cols") or []:
        add_column(json.loads(raw)[0])
    for query in json.loads(chart["query_context"])["queries"]:
        for ref in query.get("columns") or []:
            add_column(ref)
        for ref in query.get("metrics") or []:
            add_metric(ref)
        for flt in query.get("filters") or []:
            add_column(flt["col"])
        for ref, _ascending in query.get("orderby") or []:
            if isinstance(ref, str):
                (metrics if ref in (query.get("metrics") or []) else columns).add(ref)
            else:
                add_metric(ref)
    return columns, metrics


def test_bundle_is_rendered_from_the_spec() -> None:
    """The committed bundle and dbt exposures are exactly what dashboards/spec renders."""
    from dashboards.bundle_builder.__main__ import differences

    with tempfile.TemporaryDirectory() as tmp:
        assert differences(Path(tmp)) == [], "lancez « make dashboards » et committez le bundle rendu"


def test_spec_refuses_a_chart_that_mixes_millesimes(tmp_path: Path) -> None:
    """An aggregate over an indicator table must keep one millésime (or say it compares millésimes)."""
    from dashboards.bundle_builder import model

    spec_dir = tmp_path / "spec"
    shutil.copytree(REPO / "dashboards" / "spec", spec_dir)
    charts = _load(spec_dir / "charts.yml")
    del charts["charts"]["b_carte"]["dernier_millesime"]
    (spec_dir / "charts.yml").write_text(yaml.safe_dump(charts, allow_unicode=True), encoding="utf-8")
    with pytest.raises(model.SpecError, match="b_carte.*plusieurs millésimes"):
        model.load_spec(spec_dir)
    charts["charts"]["b_carte"]["metrics"] = ["inconnue"]
    (spec_dir / "charts.yml").write_text(yaml.safe_dump(charts, allow_unicode=True), encoding="utf-8")
    with pytest.raises(model.SpecError, match="« inconnue » n'est ni une colonne"):
        model.load_spec(spec_dir)


def test_dataset_columns_and_labels_come_from_the_dbt_marts() -> None:
    """Columns of each dataset = the mart's contract columns, labelled with the mart's meta.libelle."""
    from dashboards.bundle_builder.model import mart_columns

    marts = mart_columns()
    for dataset in bundle("datasets").values():
        expected = [(c.name, c.libelle, c.data_type) for c in marts[dataset["table_name"]]]
        assert [(c["column_name"], c["verbose_name"], c["type"]) for c in dataset["columns"]] == expected
        assert dataset["sql"] is None, f"{dataset['table_name']}: mart logic belongs in dbt, not in a virtual dataset"


def test_database_is_read_only_and_exposed_to_sql_lab() -> None:
    (database,) = bundle("databases").values()
    assert database["sqlalchemy_uri"] == PLACEHOLDER_URI
    assert database["extra"]["engine_params"]["connect_args"]["read_only"] is True
    assert database["expose_in_sqllab"] is True  # analysts only: the comité role has no SQL Lab permission
    assert database["allow_dml"] is False
    assert database["allow_file_upload"] is False
    assert database["allow_ctas"] is False and database["allow_cvas"] is False
    assert _load(BUNDLE / "metadata.yaml")["type"] == "assets"


def test_charts_reference_declared_datasets_columns_and_metrics() -> None:
    datasets = bundle("datasets")
    charts = bundle("charts")
    assert len(charts) >= 20
    for chart in charts.values():
        name = chart["slice_name"]
        assert chart["dataset_uuid"] in datasets, f"{name}: unknown dataset"
        dataset = datasets[chart["dataset_uuid"]]
        declared_columns = {c["column_name"] for c in dataset["columns"]}
        declared_metrics = {m["metric_name"] for m in dataset["metrics"]}
        columns, metrics = chart_refs(chart)
        assert columns or metrics, name
        assert columns <= declared_columns, f"{name}: undeclared columns {columns - declared_columns}"
        assert metrics <= declared_metrics, f"{name}: undeclared metrics {metrics - declared_metrics}"
        assert set(chart["params"].get("column_config", {})) <= declared_columns | declared_metrics, name
        assert chart["description"] and "Source" in chart["description"], name


def test_dashboards_layout_sources_and_filters() -> None:
    datasets = bundle("datasets")
    charts = bundle("charts")
    dashboards = {d["slug"]: d for d in bundle("dashboards").values()}
    assert {slug: d["dashboard_title"] for slug, d in dashboards.items()} == DASHBOARDS
    on_a_dashboard: set[str] = set()
    for slug, dashboard in dashboards.items():
        assert dashboard["published"] is True
        position = dashboard["position"]
        nodes = [n for n in position.values() if isinstance(n, dict)]
        chart_nodes = [n for n in nodes if n["type"] == "CHART"]
        assert chart_nodes, slug
        for node in chart_nodes:
            assert node["meta"]["uuid"] in charts, f"{slug}: chart {node['meta']['sliceName']} not in the bundle"
            on_a_dashboard.add(node["meta"]["uuid"])
            on_a_dashboard.update(charts[node["meta"]["uuid"]]["params"].get("pacte_couches") or [])  # map layers
            # the node right after the chart in its column is its « Source » line
            column = position[node["parents"][-1]]
            assert column["type"] == "COLUMN", slug
            following = position[column["children"][column["children"].index(node["id"]) + 1]]
            assert following["type"] == "MARKDOWN" and "Source :" in following["meta"]["code"], node["id"]
        intro = " ".join(n["meta"]["code"] for n in nodes if n["type"] == "MARKDOWN")
        assert "secret" in intro.lower(), slug
        chart_ids = {n["meta"]["chartId"] for n in chart_nodes}
        filtered = set()
        for native_filter in dashboard["metadata"]["native_filter_configuration"]:
            assert "chartsInScope" not in native_filter, "chart ids in chartsInScope are not remapped on import"
            assert set(native_filter["scope"]["excluded"]) <= chart_ids
            for target in native_filter["targets"]:
                assert target["column"]["name"] in {c["column_name"] for c in datasets[target["datasetUuid"]]["columns"]}
                filtered.add(target["column"]["name"])
        assert {"code_departement", "libelle", "libelle_axe"} <= filtered, slug
    assert on_a_dashboard == set(charts), "every chart of the bundle is on a dashboard (or a layer of a map on one)"
    all_uuids = [*datasets, *charts, *(d["uuid"] for d in dashboards.values()), *bundle("databases")]
    assert len(all_uuids) == len(set(all_uuids))


def test_datasets_are_existing_marts(served_db: Path) -> None:
    """Every dataset is a physical mart of the served file with its declared columns; every measure runs."""
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect(str(served_db), read_only=True)
    try:
        served: dict[str, set[str]] = {}
        for table, column in con.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'marts'"
        ).fetchall():
            served.setdefault(table, set()).add(column)
        for dataset in bundle("datasets").values():
            table = dataset["table_name"]
            assert dataset["schema"] == "marts" and not dataset.get("sql"), table
            assert table in served, f"{table} is not a mart of the served file"
            declared = {c["column_name"] for c in dataset["columns"]}
            assert declared == served[table], f"{table}: {declared ^ served[table]}"
            for metric in dataset["metrics"]:
                con.execute(f"SELECT {metric['expression']} FROM marts.{table}").fetchall()
    finally:
        con.close()


def test_multi_layer_maps_list_their_layers() -> None:
    """deck.gl « Multiple Layers »: layers by uuid (`manage.py import` puts their instance ids in deck_slices),
    each a deck.gl layer on a dataset with code_departement (row-level security), on no dashboard itself."""
    datasets = bundle("datasets")
    charts = bundle("charts")
    placed = {
        node["meta"]["uuid"]
        for dashboard in bundle("dashboards").values()
        for node in dashboard["position"].values()
        if isinstance(node, dict) and node.get("type") == "CHART"
    }
    maps = [c for c in charts.values() if c["viz_type"] == "deck_multi"]
    assert maps, "the service-point map of « Étape 2 — Offre »"
    for chart in maps:
        layers = chart["params"]["pacte_couches"]
        assert len(layers) == len(chart["params"]["deck_slices"]) >= 2, chart["slice_name"]
        assert chart["uuid"] in placed
        kinds = [charts[u]["viz_type"] for u in layers]
        assert kinds[0] == "deck_polygon" and set(kinds[1:]) == {"deck_scatter"}, kinds  # polygons under the points
        for layer in layers:
            assert layer not in placed, f"{charts[layer]['slice_name']}: a layer is not placed on a dashboard"
            columns = {c["column_name"] for c in datasets[charts[layer]["dataset_uuid"]]["columns"]}
            assert "code_departement" in columns, charts[layer]["slice_name"]
            assert charts[layer]["params"]["mapbox_style"].startswith("tile://"), "offline base map"
