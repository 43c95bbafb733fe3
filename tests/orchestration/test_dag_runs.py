"""The generated DAGs really run (`dag.test()`, SQLite metadata, no scheduler) on the demo inbox.

One subprocess runs, in order: every `ingest_<source>` DAG into a FRESH workspace reading the demo inbox,
one of them again (nothing new: no Asset event), `build_warehouse`, then `ingest_insee_filosofi` on a COPY
of the published demo workspace with a refused file. What we verify about data-aware scheduling: each
`charger` that landed data emits its `pacte://landing/<source>` event (with the workspace in its extra),
and the metadata DB then holds `build_warehouse` in the asset-triggered run queue (AssetDagRunQueue),
which is exactly what the scheduler turns into a run; the build itself is then run with `dag.test()`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ingestion.registry import load_registry, scan_inbox
from tests.conftest import REPO, sha256
from warehouse.airflow_local import airflow_env, ensure_db
from warehouse.cli import main

pytestmark = pytest.mark.airflow


def _taux_140(src: Path, dst: Path) -> int:
    """Copy the demo Filosofi commune file with one poverty rate set to 140 %; returns its line number."""
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(";")
    col = header.index("TP6021")
    target = next(i for i, line in enumerate(lines) if i > 0 and line.split(";")[col] not in ("", "s"))
    cells = lines[target].split(";")
    cells[col] = "140,0"
    lines[target] = ";".join(cells)
    dst.write_text("".join(lines), encoding="utf-8")
    return target + 1


@pytest.fixture(scope="module")
def runs(demo_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("orchestration")
    home = root / "airflow_home"
    ensure_db(home)  # SQLite metadata + the entrepot_duckdb pool
    fresh = root / "fresh_ws"
    copy = root / "copy_ws"
    shutil.copytree(demo_ws, copy, symlinks=True)
    bad_inbox = root / "bad_inbox"
    bad_inbox.mkdir()
    bad_line = _taux_140(demo_ws / "inbox" / "cc_filosofi_2021_COM.csv", bad_inbox / "cc_filosofi_2021_COM.csv")
    served_before = sha256(copy / "serving" / "pacte.duckdb")
    publication_before = (copy / "serving" / "publication.json").read_text()
    ok = {"workspace": str(fresh), "inbox": str(demo_ws / "inbox")}
    plan = [{"dag_id": f"ingest_{sid}", "conf": ok} for sid in sorted(load_registry())]
    plan += [{"dag_id": "ingest_insee_filosofi", "conf": ok},
             {"dag_id": "build_warehouse", "conf": {"workspace": str(fresh), "departement": "16"}},
             {"dag_id": "ingest_insee_filosofi", "conf": {"workspace": str(copy), "inbox": str(bad_inbox)}}]
    env = {**airflow_env(home), "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False"}
    proc = subprocess.run([sys.executable, str(Path(__file__).with_name("dag_runner.py")), json.dumps(plan)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=1500)
    results = [json.loads(line[len("RESULT "):]) for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert len(results) == len(plan), proc.stdout[-3000:] + proc.stderr[-5000:]
    return {"results": results, "fresh": fresh, "copy": copy, "inbox": demo_ws / "inbox", "demo": demo_ws,
            "bad_line": bad_line, "served_before": served_before, "publication_before": publication_before}


def test_every_ingest_dag_lands_its_own_source_and_emits_its_asset(runs: dict) -> None:
    recognised, _ = scan_inbox(runs["inbox"])
    with_files = {f.source_id for f in recognised}
    ingests = runs["results"][: len(load_registry())]
    manifest = json.loads((runs["fresh"] / "landing" / "_manifest.json").read_text())
    for run in ingests:
        sid = run["dag_id"].removeprefix("ingest_")
        assert run["state"] == "success", run
        landed = sorted(e["fichier"] for e in manifest.values() if e["source_id"] == sid)
        if sid in with_files:
            assert run["tasks"] == {"recuperer": "success", "valider": "success", "charger": "success"}
            assert [e["uri"] for e in run["events"]] == [f"pacte://landing/{sid}"]
            extra = run["events"][0]["extra"]
            assert extra["workspace"] == str(runs["fresh"]) and extra["fichiers"] == landed
        else:  # no file of that source in the inbox: nothing new, no event, no rebuild
            assert run["tasks"]["charger"] == "skipped" and run["events"] == [] and landed == []
    assert {e["source_id"] for e in manifest.values()} == with_files
    # Every landed source queued the data-aware build (what the scheduler turns into a run).
    queued = runs["results"][len(load_registry()) - 1]["queued"]
    assert queued == sorted(f"build_warehouse <- pacte://landing/{sid}" for sid in with_files)


def test_unchanged_files_are_not_relanded_and_trigger_nothing(runs: dict) -> None:
    again = runs["results"][len(load_registry())]
    assert again["dag_id"] == "ingest_insee_filosofi" and again["state"] == "success"
    assert again["tasks"]["charger"] == "skipped" and again["events"] == []


def test_asset_triggered_build_publishes_what_the_monolithic_dag_published(runs: dict) -> None:
    build = runs["results"][len(load_registry()) + 1]
    assert build["dag_id"] == "build_warehouse" and build["state"] == "success", build
    assert build["tasks"] == {"construire": "success", "publier": "success", "produire_livrables": "success"}
    published = json.loads((runs["fresh"] / "serving" / "publication.json").read_text())
    livrables = runs["fresh"] / "livrables" / published["version"]
    assert sorted(p.name for p in livrables.iterdir()) == ["diagnostic_16.xlsx", "rapport_diagnostic_16.docx",
                                                          "rapport_diagnostic_16.pdf"]
    demo = json.loads((runs["demo"] / "serving" / "publication.json").read_text())
    assert {f["sha256"] for f in published["fichiers"]} == {f["sha256"] for f in demo["fichiers"]}
    assert published["departements"] == ["16"] and published["donnees_synthetiques"] is True
    # The synthetic file's own value for Angoulême comes back through ingest → Asset → build → publish.
    raw = pd.read_csv(runs["inbox"] / "cc_filosofi_2021_COM.csv", sep=";", dtype=str).set_index("CODGEO")
    expected = float(raw.loc["16015", "TP6021"].replace(",", "."))
    with duckdb.connect(str(runs["fresh"] / "serving" / "pacte.duckdb"), read_only=True) as con:
        sources = {r[0] for r in con.execute("select distinct source_id from marts.provenance").fetchall()}
        got = con.execute("select valeur, statut from marts.indicateurs_commune where code_commune = '16015' "
                          "and indicateur_id = 'taux_pauvrete_60' and millesime = 2021").fetchone()
    assert got == (expected, "ok")
    assert sources == {f["source_id"] for f in published["fichiers"]}


def test_failed_validation_keeps_served_warehouse_and_reports_in_french(runs: dict, capsys) -> None:
    bad = runs["results"][-1]
    assert bad["state"] == "failed"
    assert bad["tasks"] == {"recuperer": "success", "valider": "failed", "charger": "upstream_failed"}
    assert bad["events"] == []
    copy = runs["copy"]
    assert sha256(copy / "serving" / "pacte.duckdb") == runs["served_before"]
    assert (copy / "serving" / "publication.json").read_text() == runs["publication_before"]
    summary = json.loads((copy / "state" / "derniere_erreur.json").read_text(encoding="utf-8"))
    assert (summary["dag"], summary["tache"], summary["tentative"]) == ("ingest_insee_filosofi", "valider", 1)
    assert "Fichier refusé : cc_filosofi_2021_COM.csv" in summary["message"]
    assert "colonne « TP60 »" in summary["message"] and f"lignes {runs['bad_line']} " in summary["message"]
    assert list((copy / "quarantine").rglob("cc_filosofi_2021_COM.csv"))
    assert main(["status", "--workspace", str(copy)]) == 0
    out = capsys.readouterr().out
    assert "Dernier échec Airflow" in out and "ingest_insee_filosofi" in out and "valider" in out
    assert "colonne « TP60 »" in out and "dernière version réussie" in out
