"""Roles and row-level security, through the REST API of a real Superset (one server per session).

Accounts (tests/superset/conftest.py): admin, comite16, comite40, analyste16.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.superset.conftest import SECOND_DEPARTEMENT, manage

pytestmark = pytest.mark.superset

T0_CHART = "Indicateurs T0 par territoire"
BESOINS_CHART = "Tous les indicateurs de besoins par EPCI"
MAP_CHART = "Carte des EPCI — indicateur choisi"
COMMUNES_CHART = "Communes — indicateur choisi"


MAP_JOIN = (
    "(SELECT g.code_departement FROM marts.geo_epci AS g JOIN marts.indicateurs_epci AS i "
    "ON i.code_epci = g.code_epci AND i.code_departement = g.code_departement) AS t"
)


def _served_counts(served_db: Path, source: str) -> dict[str, int]:
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect(str(served_db), read_only=True)
    try:
        rows = con.execute(f"SELECT code_departement, count(*) FROM {source} GROUP BY 1").fetchall()
    finally:
        con.close()
    return {code: n for code, n in rows}


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


@pytest.mark.parametrize(
    "table,chart",
    [
        ("marts.indicateurs_epci", BESOINS_CHART),
        ("marts.indicateurs_t0", T0_CHART),
        ("marts.indicateurs_commune", COMMUNES_CHART),
        (MAP_JOIN, MAP_CHART),
    ],
)
def test_rls_by_departement(api_for: Any, saved_charts: dict[str, Any], served_db: Path, table: str, chart: str) -> None:
    served = _served_counts(served_db, table)
    assert served.get("16", 0) > 0, served
    query_context = saved_charts[chart]["query_context"]
    admin = _departement_counts(api_for("admin"), query_context)
    assert admin == served, "the administrator sees every row"
    for user, code in (("comite16", "16"), ("analyste16", "16"), ("comite40", SECOND_DEPARTEMENT)):
        seen = _departement_counts(api_for(user), query_context)
        expected = {code: served[code]} if code in served else {}
        assert seen == expected, f"{user}: {seen} (served: {served})"
    seen16 = _departement_counts(api_for("comite16"), query_context)
    print(f"\n{chart} — lignes par département : servi {served}, vues par comite16 {seen16}")


def test_comite_reads_dashboards_and_nothing_else(api_for: Any, saved_charts: dict[str, Any]) -> None:
    comite = api_for("comite16")
    dashboards = comite.ok("/api/v1/dashboard/?q=(page_size:100)")["result"]
    assert len(dashboards) == 5
    for dashboard in dashboards:
        assert comite.get(f"/api/v1/dashboard/{dashboard['id']}/charts").status_code == 200
    query_context = saved_charts[T0_CHART]["query_context"]
    assert comite.post("/api/v1/chart/data", query_context).status_code == 200
    forbidden = {
        "SQL Lab": comite.post("/api/v1/sqllab/execute/", {"database_id": 1, "sql": "SELECT 1", "runAsync": False}),
        "CSV export": comite.post("/api/v1/chart/data", {**query_context, "result_format": "csv"}),
        "dataset edit": comite.put(f"/api/v1/dataset/{_dataset_id(api_for)}", {"description": "modifié"}),
        "chart edit": comite.put(f"/api/v1/chart/{saved_charts[T0_CHART]['id']}", {"slice_name": "modifié"}),
        "chart export": comite.get(f"/api/v1/chart/export/?q=!({saved_charts[T0_CHART]['id']})"),
        "dashboard export": comite.get(f"/api/v1/dashboard/export/?q=!({dashboards[0]['id']})"),
        "database list": comite.get("/api/v1/database/"),
        "explore": comite.get(f"/api/v1/explore/?slice_id={saved_charts[T0_CHART]['id']}"),
        "saved queries": comite.get("/api/v1/saved_query/"),
    }
    statuses = {name: resp.status_code for name, resp in forbidden.items()}
    assert all(code in (401, 403) for code in statuses.values()), statuses


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
