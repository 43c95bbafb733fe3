"""The Airflow DAG, run in-process by `airflow dags test` (SQLite metadata, no scheduler), on the demo inputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.conftest import REPO
from warehouse.airflow_local import airflow_env

pytestmark = pytest.mark.airflow


def test_dag_imports_without_errors_and_quickly() -> None:
    code = ("import time; t=time.time(); from airflow.models.dagbag import DagBag; "
            "b=DagBag(dag_folder='dags'); "
            "import json; print(json.dumps({'errors': {k: str(v) for k, v in b.import_errors.items()}, "
            "'dags': sorted(b.dag_ids), 'tasks': [t.task_id for t in b.get_dag('pacte_diagnostic').tasks], "
            "'catchup': b.get_dag('pacte_diagnostic').catchup}))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=airflow_env(), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info["errors"] == {}
    assert "pacte_diagnostic" in info["dags"]
    assert info["tasks"] == ["reconnaitre", "valider", "charger", "construire", "publier"]
    assert info["catchup"] is False


def test_demo_runs_through_airflow_and_publishes(demo_ws: Path) -> None:
    ws = demo_ws
    publication = json.loads((ws / "serving" / "publication.json").read_text())
    assert publication["donnees_synthetiques"] is True
    assert publication["geo_millesime"] == 2026  # newest COG loaded by default
    # The synthetic file's own value for Angoulême comes back through the whole chain.
    raw = pd.read_csv(ws / "inbox" / "cc_filosofi_2021_COM.csv", sep=";", dtype=str).set_index("CODGEO")
    expected = float(raw.loc["16015", "TP6021"].replace(",", "."))
    with duckdb.connect(str(ws / "serving" / "pacte.duckdb"), read_only=True) as con:
        got = con.execute("select valeur, statut, donnees_synthetiques from marts.indicateurs_commune "
                          "where code_commune = '16015' and indicateur_id = 'taux_pauvrete_60' "
                          "and millesime = 2021").fetchone()
        assert got == (expected, "ok", True)
        # 2021 has an EPCI file (published values); 2019 only communes (estimated).
        statuts = dict(con.execute("select millesime, list(distinct statut order by statut) from marts.indicateurs_epci "
                                   "where indicateur_id = 'taux_pauvrete_60' group by 1").fetchall())
        assert statuts[2021] == ["ok"]
        assert set(statuts[2019]) <= {"estime", "secret"} and "estime" in statuts[2019]
        # Communes merged between COG 2024 and 2026 are recombined through the passage table.
        merged = con.execute("select statut from marts.indicateurs_commune where code_commune = '16023' "
                             "and indicateur_id = 'nb_personnes_menages_fiscaux' and millesime = 2021").fetchone()
        assert merged == ("estime",)
        assert con.execute("select count(*) from marts.controle_codes_non_rattaches").fetchone()[0] == 0
    assert os.path.exists(ws / "serving" / "historique.jsonl")
