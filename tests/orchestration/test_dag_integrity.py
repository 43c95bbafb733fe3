"""DAG integrity without running anything: parse errors, defaults, pools, assets, parse time, no top-level I/O."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ingestion.registry import load_registry
from tests.conftest import REPO
from warehouse.airflow_local import airflow_env

pytestmark = pytest.mark.airflow
DAG_FILES = sorted((REPO / "dags").glob("*.py"))

INSPECT = r"""
import json
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder="dags")
out = {"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": {}}
for dag_id, dag in bag.dags.items():
    tt = dag.timetable
    out["dags"][dag_id] = {
        "cron": getattr(tt, "expression", None),
        "timezone": str(dag.timezone), "catchup": dag.catchup, "max_active_runs": dag.max_active_runs,
        "tags": sorted(dag.tags), "doc_md": dag.doc_md or "",
        "assets": sorted(a.uri for a in tt.asset_condition.objects)
                  if getattr(tt, "asset_condition", None) is not None else None,
        "tasks": {t.task_id: {"pool": t.pool, "retries": t.retries, "backoff": t.retry_exponential_backoff,
                              "max_retry_delay": str(t.max_retry_delay), "outlets": [o.uri for o in t.outlets],
                              "downstream": sorted(t.downstream_task_ids),
                              "callbacks": len(t.on_failure_callback or []) if isinstance(t.on_failure_callback, list)
                                           else int(t.on_failure_callback is not None)}
                  for t in dag.tasks},
    }
print(json.dumps(out))
"""

# Run each DAG file with open()/sockets/subprocesses watched; heavy libraries must not be imported.
WATCH = r"""
import builtins, io, json, runpy, socket, subprocess, sys, time
import airflow.sdk, croniter, pendulum, yaml  # Airflow's own start-up (croniter spawns `file`) is not the DAG file's cost
opened, connects, spawned = [], [], []
real_open = builtins.open
def spy_open(file, *a, **k):
    opened.append(str(file)); return real_open(file, *a, **k)
builtins.open = io.open = spy_open
socket.socket.connect = lambda self, addr: connects.append(str(addr))
subprocess.Popen.__init__ = lambda self, *a, **k: spawned.append(str(a))
result = {}
for path in sys.argv[1:]:
    del opened[:]
    before = set(sys.modules)
    t0 = time.perf_counter()
    runpy.run_path(path)
    elapsed = time.perf_counter() - t0
    heavy = sorted(m for m in set(sys.modules) - before
                   if m.split(".")[0] in {"pandas", "great_expectations", "dbt", "duckdb", "requests", "openpyxl"})
    result[path] = {"elapsed": elapsed, "opened": list(opened), "heavy": heavy}
print(json.dumps({"files": result, "connects": connects, "spawned": spawned}))
"""


def _py(code: str, *args: str, home: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, env=airflow_env(home), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def bag(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return _py(INSPECT, home=tmp_path_factory.mktemp("airflow_home"))


def test_no_import_errors_and_one_ingest_dag_per_registry_fragment(bag: dict) -> None:
    assert bag["errors"] == {}
    expected = {f"ingest_{sid}" for sid in load_registry()} | {"build_warehouse", "pacte_diagnostic"}
    assert set(bag["dags"]) == expected


def test_defaults_of_every_dag(bag: dict) -> None:
    for dag_id, dag in bag["dags"].items():
        assert dag["timezone"] == "Europe/Paris", dag_id
        assert dag["catchup"] is False and dag["max_active_runs"] == 1, dag_id
        assert "pacte" in dag["tags"], dag_id
        assert len(dag["doc_md"]) > 200, dag_id
        for task_id, task in dag["tasks"].items():
            if dag_id != "pacte_diagnostic":
                assert task["callbacks"] == 1, (dag_id, task_id)  # French failure summary


def test_ingest_dags_follow_their_fragment(bag: dict) -> None:
    for sid, source in load_registry().items():
        dag = bag["dags"][f"ingest_{sid}"]
        assert dag["cron"] == source.calendrier["cron"]
        assert source.calendrier["commentaire"] in dag["doc_md"]
        assert source.libelle in dag["doc_md"] and source.secret in dag["doc_md"]
        assert all(f.libelle in dag["doc_md"] for f in source.formats)
        assert sid in dag["tags"] and "ingestion" in dag["tags"]
        tasks = dag["tasks"]
        assert list(tasks) == ["recuperer", "valider", "charger"]
        assert tasks["recuperer"] | {"downstream": None} == {
            "pool": "default_pool", "retries": 3, "backoff": 2.0, "max_retry_delay": "1:00:00", "outlets": [],
            "downstream": None, "callbacks": 1}
        assert tasks["valider"]["retries"] == 0  # a bad file will not get better
        assert tasks["charger"]["retries"] == 0
        assert tasks["charger"]["pool"] == "entrepot_duckdb"
        assert tasks["charger"]["outlets"] == [f"pacte://landing/{sid}"]


def test_build_dag_is_scheduled_by_every_source_asset(bag: dict) -> None:
    build = bag["dags"]["build_warehouse"]
    assert build["assets"] == sorted(f"pacte://landing/{sid}" for sid in load_registry())
    assert {t["pool"] for t in build["tasks"].values()} == {"entrepot_duckdb"}
    assert build["tasks"]["construire"]["downstream"] == ["publier"]
    diag = bag["dags"]["pacte_diagnostic"]["tasks"]
    assert [t for t, v in diag.items() if v["pool"] == "entrepot_duckdb"] == ["charger", "construire", "publier"]


def test_pacte_diagnostic_is_one_chain_in_order(bag: dict) -> None:
    tasks = bag["dags"]["pacte_diagnostic"]["tasks"]
    chain = ["reconnaitre", "valider", "charger", "construire", "publier"]
    assert list(tasks) == chain
    # One chain: each task hands the run's reference (RunRef) to the next, none goes back to the inbox.
    assert [tasks[t]["downstream"] for t in chain] == [[after] for after in chain[1:]] + [[]]


def test_dag_files_parse_fast_without_io(tmp_path: Path) -> None:
    """Each file timed after Airflow itself is imported (the DAG processor's situation), all in one process."""
    info = _py(WATCH, *map(str, DAG_FILES), home=tmp_path)
    assert info["connects"] == [] and info["spawned"] == []
    registry_dir = REPO / "ingestion" / "sources"
    for path, measured in info["files"].items():
        assert measured["elapsed"] < 2.0, (path, measured["elapsed"])
        assert all(Path(f).parent == registry_dir and f.endswith(".yml") for f in measured["opened"]), measured
        assert measured["heavy"] == [], (path, measured["heavy"])
    print({Path(p).name: round(m["elapsed"], 3) for p, m in info["files"].items()})
