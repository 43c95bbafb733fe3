"""Roles and row-level security, through the REST API of a real Superset (one server per session).

Accounts (tests/dashboards/conftest.py): admin, comite16, comite40, analyste16.

A comité account only gets the data of the dashboards' saved charts (dashboards/pacte_security.py): its
row counts are read through each chart's own query; the administrator and the analyste (who may explore)
are checked with a query grouped by code_departement.
"""

from __future__ import annotations

import copy
import json
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from tests.dashboards.conftest import SECOND_DEPARTEMENT, manage
from tests.dashboards.test_bundle import DASHBOARDS

pytestmark = pytest.mark.superset

T0_CHART = "Indicateurs T0 par territoire"
BESOINS_CHART = "Tous les indicateurs de besoins par EPCI"
MAP_CHART = "Carte des EPCI — indicateur choisi"
COMMUNES_CHART = "Communes — indicateur choisi"
DISPOSITIFS_CHART = "Tableau synthétique des dispositifs"
SCHEMAS_CHART = "Passages des schémas départementaux par axe"
SERVICE_MAP = "Carte des points de service sur le taux de pauvreté par EPCI"
INDICATOR_CHARTS = {BESOINS_CHART, T0_CHART, COMMUNES_CHART, MAP_CHART}
POVERTY_RATE = "Taux de pauvreté (seuil 60 %)"


def _served(served_db: Path, sql: str) -> list[tuple[Any, ...]]:
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect(str(served_db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _served_counts(served_db: Path, source: str) -> dict[str | None, int]:
    """Rows per code_departement (None: rows attached to no département)."""
    return {code: n for code, n in _served(served_db, f"SELECT code_departement, count(*) FROM {source} GROUP BY 1")}


def _chart_query(chart: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The chart's saved query as the dashboard sends it (with its slice_id), uncached."""
    qc = copy.deepcopy(chart["query_context"])
    qc["form_data"]["slice_id"] = chart["id"]
    qc["force"] = True
    qc.update(changes)
    return qc


def _chart_rows(api: Any, chart: dict[str, Any], filters: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    qc = _chart_query(chart)
    qc["queries"][0]["filters"] = [*qc["queries"][0].get("filters", []), *(filters or [])]
    resp = api.post("/api/v1/chart/data", qc)
    assert resp.status_code == 200, resp.text[:500]
    return resp.json()["result"][0]["data"]


def _multiset(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True, default=str) for r in rows)


def _departement_counts(api: Any, query_context: dict[str, Any]) -> dict[str, int]:
    """Rows per code_departement returned by /api/v1/chart/data for this query (row-level, no limit)."""
    qc = copy.deepcopy(query_context)
    query = qc["queries"][0]
    query.update(columns=["code_departement"], metrics=["count"], orderby=[], row_limit=100000)
    query["filters"] = []
    query["extras"] = {"having": "", "where": ""}
    qc["form_data"] = {"datasource": qc["form_data"]["datasource"], "viz_type": "table", "query_mode": "aggregate"}
    resp = api.post("/api/v1/chart/data", qc)
    assert resp.status_code == 200, resp.text[:500]
    return {r["code_departement"]: r["count"] for r in resp.json()["result"][0]["data"]}


def test_second_departement_was_published(two_departements: dict[str, Any], served_db: Path) -> None:
    """`pacte run --departement 40` on a copy of the demo workspace accumulates départements 16 and 40."""
    assert two_departements["error"] is None, f"second run failed:\n{two_departements['error']}"
    counts = _served_counts(served_db, "marts.indicateurs_epci")
    assert set(counts) >= {"16", SECOND_DEPARTEMENT}, counts
    print(f"\nrun département 40 : {two_departements['seconds']:.0f} s ; lignes par département : {counts}")


def test_dispositifs_and_schemas_are_attached_to_a_departement(served_db: Path) -> None:
    """Dispositifs by their EPCI or communes; schémas by the département their title names. The demo's
    schémas name no département: in a two-département workspace they are attached to none."""
    dispositifs = _served(
        served_db, "SELECT code_departement, rattachement_departement, intitule FROM marts.dispositifs ORDER BY ALL"
    )
    assert {(d, r) for d, r, _ in dispositifs} == {("16", "territoire du dispositif"), ("40", "territoire du dispositif")}
    assert [i for d, _r, i in dispositifs if d == SECOND_DEPARTEMENT] == ["Plateforme mobilité solidaire (test)"]
    schemas = dict(_served(served_db, "SELECT DISTINCT titre, code_departement FROM marts.schemas_passages"))
    assert schemas["Pacte territorial d'insertion des Landes 2025-2029"] == SECOND_DEPARTEMENT
    assert schemas["Schéma départemental des services aux familles de la Charente 2025-2030"] == "16"
    assert schemas["Schéma départemental enfance-famille 2023-2027"] is None


@pytest.mark.parametrize(
    "table,chart",
    [
        ("marts.indicateurs_epci", BESOINS_CHART),
        ("marts.indicateurs_t0", T0_CHART),
        ("marts.indicateurs_commune", COMMUNES_CHART),
        ("marts.carte_epci", MAP_CHART),
        ("marts.dispositifs", DISPOSITIFS_CHART),
        ("marts.schemas_passages", SCHEMAS_CHART),
    ],
)
def test_rls_by_departement(api_for: Any, saved_charts: dict[str, Any], served_db: Path, table: str, chart: str) -> None:
    served = _served_counts(served_db, table)
    assert served.get("16", 0) > 0, served
    query_context = saved_charts[chart]["query_context"]
    admin = _departement_counts(api_for("admin"), query_context)
    assert admin == served, "the administrator sees every row (rows attached to no département included)"
    assert _departement_counts(api_for("analyste16"), query_context) == {"16": served["16"]}
    seen = {}
    # one indicator (the dashboards' « Indicateur » filter) keeps every chart under its row limit: rows compare exactly
    narrow = [{"col": "libelle_indicateur", "op": "IN", "val": [POVERTY_RATE]}] if chart in INDICATOR_CHARTS else []
    for user, code in (("comite16", "16"), ("comite40", SECOND_DEPARTEMENT)):
        # the chart's own rows for a comité member are the administrator's rows of its département
        rows = _chart_rows(api_for(user), saved_charts[chart], narrow)
        only_code = [*narrow, {"col": "code_departement", "op": "==", "val": code}]
        assert _multiset(rows) == _multiset(_chart_rows(api_for("admin"), saved_charts[chart], only_code)), user
        assert len(rows) < saved_charts[chart]["query_context"]["queries"][0]["row_limit"], "truncated: not comparable"
        seen[user] = len(rows)
    print(f"\n{chart} — lignes par département : servi {served} ; lignes du graphique vues : {seen}")


@pytest.mark.parametrize(
    "table,chart,key",
    [
        ("marts.dispositifs", DISPOSITIFS_CHART, ("intitule", "porteur")),
        ("marts.schemas_passages", SCHEMAS_CHART, ("titre", "page", "libelle_axe", "libelle_thematique")),
    ],
)
def test_comite_sees_no_row_of_another_departement(
    api_for: Any, saved_charts: dict[str, Any], served_db: Path, table: str, chart: str, key: tuple[str, ...]
) -> None:
    """Dispositifs and schéma passages: a comité member gets exactly the served rows of its département."""
    by_departement: dict[str | None, list[tuple[Any, ...]]] = {}
    for code, *values in _served(served_db, f"SELECT code_departement, {', '.join(key)} FROM {table}"):
        by_departement.setdefault(code, []).append(tuple(values))
    assert by_departement.get("16") and by_departement.get(SECOND_DEPARTEMENT), by_departement.keys()
    for user, code in (("comite16", "16"), ("comite40", SECOND_DEPARTEMENT)):
        rows = [tuple(r[k] for k in key) for r in _chart_rows(api_for(user), saved_charts[chart])]
        assert sorted(rows) == sorted(by_departement[code]), user
        others = {row for other, rows_ in by_departement.items() if other != code for row in rows_}
        assert not set(rows) & others, f"{user} sees rows of another département (or of none)"
    counts = {code: len(rows) for code, rows in by_departement.items()}
    print(f"\n{table} — lignes servies par département : {counts}")


def test_comite_reads_dashboards_and_nothing_else(api_for: Any, saved_charts: dict[str, Any]) -> None:
    comite = api_for("comite16")
    dashboards = comite.ok("/api/v1/dashboard/?q=(page_size:100)")["result"]
    assert len(dashboards) == len(DASHBOARDS)
    for dashboard in dashboards:
        assert comite.get(f"/api/v1/dashboard/{dashboard['id']}/charts").status_code == 200
    t0, dispositifs = saved_charts[T0_CHART], saved_charts[DISPOSITIFS_CHART]
    assert comite.post("/api/v1/chart/data", _chart_query(t0)).status_code == 200
    extra_column = _chart_query(dispositifs)
    extra_column["queries"][0]["columns"] = [*extra_column["queries"][0]["columns"], "fichier", "co_porteurs"]
    more_rows = _chart_query(dispositifs)
    more_rows["queries"][0]["row_limit"] = 100000
    hidden_filter = _chart_query(dispositifs)
    hidden_filter["queries"][0]["filters"] = [{"col": "fichier", "op": "IS NOT NULL"}]
    free_sql = _chart_query(dispositifs)
    free_sql["queries"][0]["extras"] = {"where": "fichier LIKE '%demo%'", "having": ""}
    dashboard_filter = _chart_query(dispositifs)
    dashboard_filter["queries"][0]["filters"] = [{"col": "code_departement", "op": "IN", "val": ["16"]}]
    assert comite.post("/api/v1/chart/data", dashboard_filter).status_code == 200, "a dashboard filter column"
    forbidden = {
        "SQL Lab": comite.post("/api/v1/sqllab/execute/", {"database_id": 1, "sql": "SELECT 1", "runAsync": False}),
        "CSV export": comite.post("/api/v1/chart/data", _chart_query(t0, result_format="csv")),
        "XLSX export": comite.post("/api/v1/chart/data", _chart_query(t0, result_format="xlsx")),
        "CSV of a saved chart": comite.get(f"/api/v1/chart/{t0['id']}/data/?format=csv"),
        **{
            f"result_type {kind}": comite.post("/api/v1/chart/data", _chart_query(dispositifs, result_type=kind))
            for kind in ("samples", "drill_detail", "results", "query", "columns", "post_processed")
        },
        "columns the chart does not show": comite.post("/api/v1/chart/data", extra_column),
        "more rows than the chart": comite.post("/api/v1/chart/data", more_rows),
        "filter on a column the chart does not show": comite.post("/api/v1/chart/data", hidden_filter),
        "free SQL filter": comite.post("/api/v1/chart/data", free_sql),
        "a query of no chart": comite.post("/api/v1/chart/data", dispositifs["query_context"]),
        "drill info": comite.get(f"/api/v1/dataset/{dispositifs['datasource_id']}/drill_info/"),
        "column values": comite.get(f"/api/v1/datasource/table/{dispositifs['datasource_id']}/column/fichier/values/"),
        "dataset edit": comite.put(f"/api/v1/dataset/{_dataset_id(api_for)}", {"description": "modifié"}),
        "chart edit": comite.put(f"/api/v1/chart/{t0['id']}", {"slice_name": "modifié"}),
        "chart save": comite.post("/api/v1/chart/", {"slice_name": "x", "viz_type": "table", "datasource_id": 1,
                                                     "datasource_type": "table"}),
        "chart export": comite.get(f"/api/v1/chart/export/?q=!({t0['id']})"),
        "dashboard export": comite.get(f"/api/v1/dashboard/export/?q=!({dashboards[0]['id']})"),
        "database list": comite.get("/api/v1/database/"),
        "explore": comite.get(f"/api/v1/explore/?slice_id={t0['id']}"),
        "explore form data": comite.post("/api/v1/explore/form_data", {"datasource_id": 1, "datasource_type": "table",
                                                                      "form_data": "{}"}),
        "saved queries": comite.get("/api/v1/saved_query/"),
    }  # fmt: skip
    statuses = {name: resp.status_code for name, resp in forbidden.items()}
    assert all(code in (401, 403) for code in statuses.values()), statuses


def _explore_json(web: Any, chart: dict[str, Any], dashboard_id: int, flag: str = "", **changes: Any) -> Any:
    """A deck.gl chart's data as the dashboard asks for it (legacy endpoint, session cookie)."""
    form_data = {**chart["params"], "slice_id": chart["id"], "datasource": f"{chart['datasource_id']}__table",
                 "dashboardId": dashboard_id, **changes}  # fmt: skip
    query = urllib.parse.quote(json.dumps(form_data))
    return web.get(f"/superset/explore_json/?form_data={query}{f'&{flag}=true' if flag else ''}")


def test_comite_gets_map_data_but_no_raw_rows(api_for: Any, web_for: Any, saved_charts: dict[str, Any]) -> None:
    """The deck.gl maps read /superset/explore_json/: the chart's own data only, no flag returning rows or SQL."""
    web = web_for("comite16")
    dashboard_id = api_for("admin").ok("/api/v1/dashboard/etape-2-offre")["result"]["id"]
    service_map = saved_charts[SERVICE_MAP]
    layer = next(c for c in saved_charts.values() if c["id"] == service_map["params"]["deck_slices"][1])
    assert layer["viz_type"] == "deck_scatter"
    ok = {
        "map": _explore_json(web, service_map, dashboard_id),
        "layer": _explore_json(web, layer, dashboard_id, parent_slice_id=service_map["id"]),
        "choropleth": _explore_json(web, saved_charts[MAP_CHART], dashboard_id),
    }
    assert {name: r.status_code for name, r in ok.items()} == dict.fromkeys(ok, 200), {n: r.text[:300] for n, r in ok.items()}
    forbidden = {
        **{f"?{flag}=true": _explore_json(web, layer, dashboard_id, flag, parent_slice_id=service_map["id"])
           for flag in ("samples", "results", "query", "csv", "xlsx")},
        "other columns": _explore_json(web, layer, dashboard_id, js_columns=["service_id", "source_id"]),
        "other tooltip": _explore_json(web, layer, dashboard_id, tooltip_contents=["service_id"]),
        "more rows": _explore_json(web, layer, dashboard_id, row_limit=10**6),
        "free SQL filter": _explore_json(web, layer, dashboard_id, adhoc_filters=[
            *layer["params"]["adhoc_filters"],
            {"clause": "WHERE", "expressionType": "SQL", "sqlExpression": "source_id = 'soliguide'"},
        ]),
        "filter on a hidden column": _explore_json(web, layer, dashboard_id, extra_filters=[
            {"col": "source_id", "op": "IN", "val": ["soliguide"]},
        ]),
        "other layers": _explore_json(web, service_map, dashboard_id, deck_slices=[saved_charts[DISPOSITIFS_CHART]["id"]]),
        "no chart": _explore_json(web, {**layer, "id": None}, dashboard_id),
        "dataset samples": web.post(
            f"/datasource/samples?datasource_id={saved_charts[DISPOSITIFS_CHART]['datasource_id']}&datasource_type=table", {}
        ),
    }  # fmt: skip
    statuses = {name: resp.status_code for name, resp in forbidden.items()}
    assert all(code in (401, 403) for code in statuses.values()), statuses


def test_analyste_reads_rows_of_its_departement(web_for: Any, saved_charts: dict[str, Any], served_db: Path) -> None:
    """The analyste may see the rows behind a chart (samples, drill to detail): those of its département."""
    dataset_id = saved_charts[DISPOSITIFS_CHART]["datasource_id"]
    resp = web_for("analyste16").post(f"/datasource/samples?datasource_id={dataset_id}&datasource_type=table", {})
    assert resp.status_code == 200, resp.text[:500]
    rows = resp.json()["result"]["data"]
    assert {r["code_departement"] for r in rows} == {"16"}
    assert len(rows) == _served_counts(served_db, "marts.dispositifs")["16"]


def _dataset_id(api_for: Any) -> int:
    datasets = api_for("admin").ok("/api/v1/dataset/?q=(page_size:100)")["result"]
    return next(d["id"] for d in datasets if d["table_name"] == "indicateurs_epci")


def test_analyste_sql_lab_is_read_only(api_for: Any, served_db: Path) -> None:
    analyste = api_for("analyste16")
    database_id = next(d["id"] for d in api_for("admin").ok("/api/v1/database/")["result"] if d["database_name"] == "pacte")
    served_total = sum(_served_counts(served_db, "marts.indicateurs_epci").values())
    resp = analyste.post(
        "/api/v1/sqllab/execute/",
        {"database_id": database_id, "sql": "SELECT count(*) AS n FROM marts.indicateurs_epci", "runAsync": False},
    )
    assert resp.status_code == 200, resp.text[:500]
    assert resp.json()["data"] == [{"n": served_total}]  # SQL Lab is not row-filtered: analysts read the whole file
    for sql in ("DELETE FROM marts.indicateurs_epci", "CREATE TABLE marts.x AS SELECT 1 AS a"):
        resp = analyste.post("/api/v1/sqllab/execute/", {"database_id": database_id, "sql": sql, "runAsync": False})
        assert resp.status_code != 200 or resp.json().get("status") != "success", (sql, resp.text[:300])
    after = analyste.post(
        "/api/v1/sqllab/execute/",
        {"database_id": database_id, "sql": "SELECT count(*) AS n FROM marts.indicateurs_epci", "runAsync": False},
    )
    assert after.json()["data"] == [{"n": served_total}]
    # analysts may export what they query; they still cannot edit datasets
    assert analyste.put(f"/api/v1/dataset/{_dataset_id(api_for)}", {"description": "modifié"}).status_code == 403


def test_admin_can_do_everything(api_for: Any, saved_charts: dict[str, Any]) -> None:
    admin = api_for("admin")
    query_context = saved_charts[T0_CHART]["query_context"]
    assert admin.post("/api/v1/chart/data", {**query_context, "result_format": "csv"}).status_code == 200
    resp = admin.post("/api/v1/sqllab/execute/", {"database_id": 1, "sql": "SELECT 1 AS un", "runAsync": False})
    assert resp.status_code == 200 and resp.json()["data"] == [{"un": 1}]
    roles = {r["name"] for r in admin.ok("/api/v1/security/roles/?q=(page_size:100)")["result"]}
    assert {"Admin", "comite", "analyste", "departement_16", f"departement_{SECOND_DEPARTEMENT}"} <= roles


def test_database_stays_read_only_after_import(api_for: Any) -> None:
    admin = api_for("admin")
    (database,) = [d for d in admin.ok("/api/v1/database/")["result"] if d["database_name"] == "pacte"]
    detail = admin.ok(f"/api/v1/database/{database['id']}/connection")["result"]
    assert json.loads(detail["extra"])["engine_params"]["connect_args"]["read_only"] is True
    assert detail["expose_in_sqllab"] is True and detail["allow_dml"] is False


def test_user_command_refuses_bad_input(superset_server: dict[str, Any]) -> None:
    env = superset_server["env"]
    no_dept = manage(env, "utilisateur", "--identifiant", "sans_dept", "--role", "comite", check=False)
    assert no_dept.returncode == 1 and "--departement est obligatoire" in no_dept.stderr
    bad_dept = manage(env, "utilisateur", "--identifiant", "x_99", "--role", "comite", "--departement", "99", check=False)
    assert bad_dept.returncode == 1 and "Code département invalide" in bad_dept.stderr
    missing_env = manage(
        env, "utilisateur", "--identifiant", "y_16", "--role", "comite", "--departement", "16",
        "--mot-de-passe-env", "PACTE_VARIABLE_ABSENTE", check=False,
    )  # fmt: skip
    assert missing_env.returncode == 1 and "PACTE_VARIABLE_ABSENTE" in missing_env.stderr
    generated = manage(env, "utilisateur", "--identifiant", "genere16", "--role", "comite", "--departement", "16")
    assert "Mot de passe généré" in generated.stdout
