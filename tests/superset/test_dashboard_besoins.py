"""Dashboard « Besoins — pauvreté monétaire par EPCI ».

Two groups of tests:

* bundle consistency (no server, a few ms): the YAML bundle in
  dashboards/bundle only references datasets, columns and metrics it
  declares, only reads tables of the data contract, and keeps the DuckDB
  connection read-only;
* end to end (marker `superset`, about 1 min 30 s): `manage.py init`, `import`
  and `start` on a temporary PACTE_SUPERSET_HOME, REST checks, every chart's
  saved query_context through /api/v1/chart/data compared with the served
  DuckDB file, then the dashboard rendered in headless Chromium, with a
  screenshot in tests/artifacts/dashboard_besoins.png.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")

REPO = Path(__file__).resolve().parents[2]
BUNDLE = REPO / "dashboards" / "bundle"
MANAGE = REPO / "dashboards" / "manage.py"
SUPERSET_PYTHON = REPO / ".venvs" / "superset" / "bin" / "python"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = REPO / "tests" / "artifacts"
SCREENSHOT = ARTIFACTS / "dashboard_besoins.png"

DASHBOARD_TITLE = "Besoins — pauvreté monétaire par EPCI"
DASHBOARD_SLUG = "besoins-pauvrete-epci"
PLACEHOLDER_URI = "duckdb:///__PACTE_SERVED_DB__"

_INDICATOR_COLUMNS = {
    "indicateur_id",
    "libelle_indicateur",
    "unite",
    "valeur",
    "millesime",
    "geo_millesime",
    "statut",
    "part_population_couverte",
    "valeur_departement",
    "valeur_france",
    "source",
    "donnees_synthetiques",
}
# Data contract of the served file (schema marts).
CONTRACT: dict[str, set[str]] = {
    "indicateurs_epci": {"code_epci", "libelle", "code_departement"} | _INDICATOR_COLUMNS,
    "indicateurs_commune": {"code_commune", "libelle", "code_epci", "libelle_epci", "code_departement"} | _INDICATOR_COLUMNS,
    "provenance": {
        "source_id",
        "fichier",
        "sha256",
        "millesime",
        "geo_millesime",
        "donnees_synthetiques",
        "run_id",
        "charge_le",
    },
}

CHART_TABLE = "Taux de pauvreté par EPCI"
CHART_BAR = "Taux de pauvreté (seuil 60 %) — classement des EPCI"
CHART_NIVEAU_VIE = "Niveau de vie médian et personnes pauvres par EPCI"
CHART_PROVENANCE = "Provenance des données"
CHART_SYNTHETIQUES = "Fichiers de données synthétiques"

STATUT_LIBELLE = {"ok": "publié", "secret": "secret", "estime": "estimé", "non_disponible": "non disponible"}


# --------------------------------------------------------------------------- bundle helpers


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _bundle(kind: str) -> dict[str, dict[str, Any]]:
    """Objects of one kind, by uuid."""
    return {obj["uuid"]: obj for obj in (_load(p) for p in sorted((BUNDLE / kind).rglob("*.yaml")))}


def _column_name(ref: Any) -> str | None:
    """Column name of a column reference (string or adhoc column), None for free SQL."""
    if isinstance(ref, str):
        return ref
    if isinstance(ref, dict):
        if ref.get("isColumnReference") or ref.get("expressionType") is None:
            return ref.get("sqlExpression") or ref.get("column_name") or ref.get("label")
    return None


def _metric_name(ref: Any) -> str | None:
    """Saved-metric name, None for an adhoc metric (its column is checked separately)."""
    return ref if isinstance(ref, str) else None


def _adhoc_metric_columns(ref: Any) -> list[str]:
    if isinstance(ref, dict) and ref.get("expressionType") == "SIMPLE":
        return [ref["column"]["column_name"]]
    return []


def _chart_refs(chart: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(columns, saved metrics) referenced by a chart's params and query_context."""
    params = chart["params"]
    columns: set[str] = set()
    metrics: set[str] = set()

    def add_column(ref: Any) -> None:
        name = _column_name(ref)
        if name:
            columns.add(name)

    def add_metric(ref: Any) -> None:
        name = _metric_name(ref)
        if name:
            metrics.add(name)
        columns.update(_adhoc_metric_columns(ref))

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

    query_context = json.loads(chart["query_context"])
    for query in query_context["queries"]:
        for ref in query.get("columns") or []:
            add_column(ref)
        for ref in query.get("metrics") or []:
            add_metric(ref)
        for flt in query.get("filters") or []:
            add_column(flt["col"])
        for ref, _ascending in query.get("orderby") or []:
            if isinstance(ref, str):
                # raw mode orders by columns, aggregate mode by metrics
                (metrics if query.get("metrics") else columns).add(ref)
            else:
                add_metric(ref)
    return columns, metrics


# --------------------------------------------------------------------------- bundle tests


def test_bundle_database_is_read_only() -> None:
    databases = _bundle("databases")
    assert len(databases) == 1
    (database,) = databases.values()
    assert (BUNDLE / "databases" / "pacte.yaml").exists()
    assert database["sqlalchemy_uri"] == PLACEHOLDER_URI
    assert database["extra"]["engine_params"]["connect_args"]["read_only"] is True
    assert database["expose_in_sqllab"] is False
    assert database["allow_dml"] is False
    assert database.get("allow_file_upload", False) is False
    assert _load(BUNDLE / "metadata.yaml")["type"] == "assets"


def test_bundle_datasets_follow_the_data_contract() -> None:
    (database_uuid,) = _bundle("databases")
    datasets = _bundle("datasets")
    assert datasets
    for dataset in datasets.values():
        table = dataset["table_name"]
        assert dataset["database_uuid"] == database_uuid
        assert dataset["schema"] == "marts", table
        assert dataset.get("sql") in (None, ""), f"{table}: virtual datasets are not part of the contract"
        assert table in CONTRACT, f"{table} is not in the data contract"
        physical = {c["column_name"] for c in dataset["columns"] if not c.get("expression")}
        assert physical <= CONTRACT[table], f"{table}: columns outside the contract {physical - CONTRACT[table]}"


def test_bundle_charts_reference_declared_datasets_and_columns() -> None:
    datasets = _bundle("datasets")
    charts = _bundle("charts")
    assert {c["slice_name"] for c in charts.values()} >= {
        CHART_TABLE,
        CHART_BAR,
        CHART_NIVEAU_VIE,
        CHART_PROVENANCE,
    }
    for chart in charts.values():
        name = chart["slice_name"]
        assert chart["dataset_uuid"] in datasets, f"{name}: unknown dataset {chart['dataset_uuid']}"
        assert chart.get("query_context"), f"{name}: no saved query_context"
        dataset = datasets[chart["dataset_uuid"]]
        declared_columns = {c["column_name"] for c in dataset["columns"]}
        declared_metrics = {m["metric_name"] for m in dataset["metrics"]}
        columns, metrics = _chart_refs(chart)
        assert columns <= declared_columns, f"{name}: undeclared columns {columns - declared_columns}"
        assert metrics <= declared_metrics, f"{name}: undeclared metrics {metrics - declared_metrics}"
        assert set(chart["params"].get("column_config", {})) <= declared_columns | declared_metrics, name
        assert json.loads(chart["query_context"])["datasource"]["type"] == "table"


def test_bundle_dashboard_layout_and_filters() -> None:
    datasets = _bundle("datasets")
    charts = _bundle("charts")
    (dashboard,) = _bundle("dashboards").values()
    assert dashboard["dashboard_title"] == DASHBOARD_TITLE
    assert dashboard["slug"] == DASHBOARD_SLUG
    assert dashboard["published"] is True

    nodes = [n for n in dashboard["position"].values() if isinstance(n, dict)]
    chart_nodes = [n for n in nodes if n["type"] == "CHART"]
    assert {n["meta"]["uuid"] for n in chart_nodes} == set(charts), "every chart once on the dashboard"
    assert len(chart_nodes) == len(charts)
    markdown = " ".join(n["meta"]["code"] for n in nodes if n["type"] == "MARKDOWN")
    for words in ("Filosofi", "« secret »", "jamais 0", "estimé", "Σ(taux × personnes) / Σ(personnes)", "synthétiques"):
        assert words in markdown, words

    chart_ids = {n["meta"]["chartId"] for n in chart_nodes}
    filters = dashboard["metadata"]["native_filter_configuration"]
    filtered_columns = set()
    for native_filter in filters:
        assert "chartsInScope" not in native_filter, "chart ids in chartsInScope are not remapped on import"
        assert set(native_filter["scope"]["excluded"]) <= chart_ids
        for target in native_filter["targets"]:
            dataset = datasets[target["datasetUuid"]]
            assert target["column"]["name"] in {c["column_name"] for c in dataset["columns"]}
            filtered_columns.add(target["column"]["name"])
    assert {"code_departement", "libelle", "millesime"} <= filtered_columns

    all_uuids = [*datasets, *charts, dashboard["uuid"], *_bundle("databases")]
    assert len(all_uuids) == len(set(all_uuids))


# --------------------------------------------------------------------------- server fixtures


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _manage(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(SUPERSET_PYTHON), str(MANAGE), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"manage.py {' '.join(args)} a échoué ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def superset_server(served_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if not SUPERSET_PYTHON.exists():
        pytest.skip(f"venv Superset absent ({SUPERSET_PYTHON}) : lancez l'installation du venv superset")
    pytest.importorskip("requests")
    home = tmp_path_factory.mktemp("superset_home")
    password = secrets.token_urlsafe(16)
    env = {
        **os.environ,
        "PACTE_SUPERSET_HOME": str(home),
        "SUPERSET_SECRET_KEY": secrets.token_urlsafe(42),
        "PACTE_SUPERSET_ADMIN_PASSWORD": password,
    }
    port = _free_port()
    timings: dict[str, float] = {}
    try:
        for step, args in (
            ("init", ["init"]),
            ("import", ["import", "--served", str(served_db)]),
            ("start", ["start", "--port", str(port)]),
        ):
            started = time.monotonic()
            _manage(env, *args)
            timings[step] = time.monotonic() - started
        yield {"base": f"http://127.0.0.1:{port}", "password": password, "home": home, "timings": timings}
    finally:
        subprocess.run([str(SUPERSET_PYTHON), str(MANAGE), "stop"], env=env, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def api(superset_server: dict[str, Any]) -> Any:
    import requests

    base = superset_server["base"]
    session = requests.Session()
    resp = session.post(
        f"{base}/api/v1/security/login",
        json={"username": "admin", "password": superset_server["password"], "provider": "db", "refresh": True},
        timeout=30,
    )
    assert resp.status_code == 200, resp.text
    session.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"
    csrf = session.get(f"{base}/api/v1/security/csrf_token/", timeout=30).json()["result"]
    session.headers.update({"X-CSRFToken": csrf, "Referer": base})
    session.base = base  # type: ignore[attr-defined]
    return session


def _get(api: Any, path: str) -> Any:
    resp = api.get(api.base + path, timeout=60)
    assert resp.status_code == 200, f"GET {path}: {resp.status_code} {resp.text[:500]}"
    return resp.json()


@pytest.fixture(scope="module")
def chart_data(api: Any) -> dict[str, list[dict[str, Any]]]:
    """Rows of every dashboard chart, from its saved query_context, by chart name."""
    charts = _get(api, f"/api/v1/dashboard/{DASHBOARD_SLUG}/charts")["result"]
    data: dict[str, list[dict[str, Any]]] = {}
    for chart in charts:
        saved = _get(api, f"/api/v1/chart/{chart['id']}")["result"]
        assert saved.get("query_context"), f"{saved['slice_name']}: no saved query_context"
        resp = api.post(api.base + "/api/v1/chart/data", json=json.loads(saved["query_context"]), timeout=60)
        assert resp.status_code == 200, f"{saved['slice_name']}: {resp.status_code} {resp.text[:1000]}"
        results = resp.json()["result"]
        assert all(not r.get("error") for r in results), results
        data[saved["slice_name"]] = results[0]["data"]
    return data


def _served_rows(served_db: Path, sql: str) -> list[dict[str, Any]]:
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect(str(served_db), read_only=True)
    try:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


# --------------------------------------------------------------------------- server tests


@pytest.mark.superset
def test_dashboard_and_read_only_connection(api: Any, superset_server: dict[str, Any]) -> None:
    dashboard = _get(api, f"/api/v1/dashboard/{DASHBOARD_SLUG}")["result"]
    assert dashboard["dashboard_title"] == DASHBOARD_TITLE
    assert dashboard["published"] is True
    charts = _get(api, f"/api/v1/dashboard/{DASHBOARD_SLUG}/charts")["result"]
    assert len(charts) == len(_bundle("charts"))

    databases = _get(api, "/api/v1/database/")["result"]
    (database,) = [d for d in databases if d["database_name"] == "pacte"]
    detail = _get(api, f"/api/v1/database/{database['id']}/connection")["result"]
    extra = json.loads(detail["extra"])
    assert extra["engine_params"]["connect_args"]["read_only"] is True
    assert detail["expose_in_sqllab"] is False
    assert detail["allow_dml"] is False
    print(f"\ndurées manage.py : {superset_server['timings']}")


@pytest.mark.superset
def test_chart_data_matches_served_file(chart_data: dict[str, list[dict[str, Any]]], served_db: Path) -> None:
    taux = _served_rows(
        served_db,
        "SELECT libelle, valeur, statut, part_population_couverte, valeur_departement, valeur_france, millesime "
        "FROM marts.indicateurs_epci WHERE indicateur_id = 'taux_pauvrete_60'",
    )
    assert taux, "no taux_pauvrete_60 rows in the served file"

    # (1) table: every EPCI, exact values, secret stays NULL (never 0), sorted by valeur desc.
    rows = chart_data[CHART_TABLE]
    assert len(rows) == len(taux)
    by_key = {(r["libelle"], r["millesime"]): r for r in rows}
    for expected in taux:
        got = by_key[(expected["libelle"], expected["millesime"])]
        assert got["valeur"] == expected["valeur"], expected["libelle"]
        assert got["statut_libelle"] == STATUT_LIBELLE[expected["statut"]]
        assert got["part_population_couverte"] == expected["part_population_couverte"]
        assert got["valeur_departement"] == expected["valeur_departement"]
        assert got["valeur_france"] == expected["valeur_france"]
        if expected["statut"] == "secret":
            assert got["valeur"] is None, "a secret value must never come back as a number"
    values = [r["valeur"] for r in rows if r["valeur"] is not None]
    assert values == sorted(values, reverse=True)

    # (2) ranked bar: only published/estimated values (MAX over vintages when the
    # millésime filter is not applied), ascending order (largest bar on top).
    bars = chart_data[CHART_BAR]
    published: dict[str, float] = {}
    for t in taux:
        if t["valeur"] is not None:
            published[t["libelle"]] = max(t["valeur"], published.get(t["libelle"], t["valeur"]))
    assert {b["libelle"]: b["taux_pauvrete_60"] for b in bars} == published
    assert len(bars) == len(published)
    assert [b["taux_pauvrete_60"] for b in bars] == sorted(published.values())

    # (3) niveau de vie / personnes pauvres.
    niveau = _served_rows(
        served_db,
        "SELECT libelle, millesime, indicateur_id, valeur, statut FROM marts.indicateurs_epci "
        "WHERE indicateur_id IN ('niveau_vie_median', 'nb_personnes_pauvres')",
    )
    nv_rows = {(r["libelle"], r["millesime"]): r for r in chart_data[CHART_NIVEAU_VIE]}
    for expected in niveau:
        got = nv_rows[(expected["libelle"], expected["millesime"])]
        assert got[expected["indicateur_id"]] == expected["valeur"], expected
        if expected["statut"] != "ok":
            assert STATUT_LIBELLE[expected["statut"]] in got["valeurs_non_publiees"]

    # (4) provenance and synthetic-data counter.
    provenance = _served_rows(served_db, "SELECT fichier, sha256, donnees_synthetiques FROM marts.provenance")
    prov_rows = chart_data[CHART_PROVENANCE]
    assert {(r["fichier"], r["sha256"]) for r in prov_rows} == {(p["fichier"], p["sha256"]) for p in provenance}
    for row in prov_rows:
        expected = next(p for p in provenance if p["fichier"] == row["fichier"])
        assert row["donnees_synthetiques_libelle"] == ("oui" if expected["donnees_synthetiques"] else "non")
    (counter,) = chart_data[CHART_SYNTHETIQUES]
    assert counter["nb_fichiers_synthetiques"] == sum(bool(p["donnees_synthetiques"]) for p in provenance)


@pytest.mark.superset
def test_anchor_value_from_the_demo_input_file(chart_data: dict[str, list[dict[str, Any]]], demo_ws: Path) -> None:
    """Grand Angoulême's 2021 rate in the chart is the value of the (synthetic) EPCI file, read here directly."""
    import csv

    with (demo_ws / "inbox" / "cc_filosofi_2021_EPCI.csv").open(encoding="utf-8") as fh:
        row = next(r for r in csv.DictReader(fh, delimiter=";") if r["CODGEO"] == "200071827")
    expected = float(row["TP6021"].replace(",", "."))
    rows = [r for r in chart_data[CHART_TABLE] if "Grand Angoulême" in r["libelle"] and r["millesime"] == 2021]
    assert len(rows) == 1, chart_data[CHART_TABLE][:3]
    assert rows[0]["valeur"] == expected
    assert rows[0]["statut_libelle"] == "publié"


@pytest.mark.superset
def test_superset_holds_no_lock_when_idle(chart_data: dict[str, list[dict[str, Any]]], served_db: Path) -> None:
    """NullPool: after the queries, a writer can open the served file."""
    duckdb = pytest.importorskip("duckdb")
    assert chart_data
    if not os.access(served_db, os.W_OK):
        pytest.skip(f"{served_db} is not writable by the test user")
    con = duckdb.connect(str(served_db), read_only=False)
    con.close()


# --------------------------------------------------------------------------- browser test


_CHART_ERROR_JS = """
const holders = [...document.querySelectorAll('[data-test="chart-grid-component"]')];
return holders.map(h => ({
  name: (h.querySelector('[data-test="editable-title"], .header-title') || {}).innerText || '',
  loading: h.querySelectorAll('.loading, [data-test="loading-indicator"]').length,
  rendered: h.querySelectorAll(
    '.superset-chart-table, .echarts_timeseries_bar canvas, .echarts_timeseries_bar svg, '
    + '.superset-legacy-chart-big-number, table'
  ).length,
  errors: h.querySelectorAll(
    '.ant-alert-error, .ant-alert-warning, .error-alert, [data-test="error-tooltip"], [role="alert"]'
  ).length,
  text: h.innerText,
}));
"""


@pytest.mark.superset
def test_dashboard_renders_in_chromium(superset_server: dict[str, Any], chart_data: dict[str, Any]) -> None:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("chromium ou chromedriver absent (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    base = superset_server["base"]
    profile = superset_server["home"] / "chromium-profile"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1600,1200",
        "--lang=fr-FR",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.get(f"{base}/login/")
        wait = WebDriverWait(driver, 60)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "input#username"))
        driver.find_element(By.CSS_SELECTOR, "input#username").send_keys("admin")
        driver.find_element(By.CSS_SELECTOR, "input#password").send_keys(superset_server["password"])
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit], form button").click()
        wait.until(lambda d: "/login" not in d.current_url)

        driver.get(f"{base}/superset/dashboard/{DASHBOARD_SLUG}/?standalone=1")
        expected = len(chart_data)
        deadline = time.monotonic() + 120
        stable = 0
        states: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            states = driver.execute_script(_CHART_ERROR_JS)
            done = (
                len(states) == expected
                and all(s["loading"] == 0 and (s["rendered"] > 0 or s["errors"] > 0) for s in states)
                and not driver.find_elements(By.CSS_SELECTOR, '[data-test="loading-indicator"]')
            )
            stable = stable + 1 if done else 0
            if stable >= 3:  # three checks in a row: native-filter defaults have re-queried
                break
            time.sleep(1)
        # Full-page screenshot, whatever the outcome.
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1600, max(1200, min(int(height) + 100, 6000)))
        time.sleep(1)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SCREENSHOT))

        assert stable >= 3, f"charts not rendered within 120 s: {states}"
        for state in states:
            assert state["errors"] == 0, f"chart error: {state['name']}: {state['text'][:500]}"
            lowered = state["text"].lower()
            assert "erreur" not in lowered and "error" not in lowered, f"{state['name']}: {state['text'][:500]}"
        page = driver.find_element(By.TAG_NAME, "body").text
        titles = [
            e.get_attribute("value") or e.text
            for e in driver.find_elements(By.CSS_SELECTOR, '[data-test="editable-title-input"]')
        ]
        assert DASHBOARD_TITLE in titles or DASHBOARD_TITLE in driver.title, (titles, driver.title)
        markdown = driver.find_elements(By.CSS_SELECTOR, ".dashboard-markdown")
        assert markdown and "Filosofi" in markdown[0].text
        for name in (r["libelle"] for r in chart_data[CHART_TABLE]):
            assert name in page, name
        assert SCREENSHOT.stat().st_size > 10_000
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
