"""Run the Airflow DAGs in-process on this machine (SQLite metadata, no scheduler): `airflow dags test`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ingestion.errors import ErreurPacte
from warehouse.workspace import REPO_ROOT

AIRFLOW_HOME = REPO_ROOT / ".airflow"


def airflow_env(home: Path = AIRFLOW_HOME) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Europe/Paris",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])),
        "DO_NOT_TRACK": "1", "SCARF_NO_ANALYTICS": "true", "GX_ANALYTICS_ENABLED": "false",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "TQDM_DISABLE": "1",
    })
    return env


def _airflow(args: list[str], env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "airflow", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def ensure_db(home: Path = AIRFLOW_HOME) -> None:
    env = airflow_env(home)
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "airflow.db").exists():
        proc = _airflow(["db", "migrate"], env)
        if proc.returncode != 0:
            raise ErreurPacte(f"Initialisation de la base Airflow impossible : {proc.stderr[-800:]}")


def dags_test(dag_id: str, conf: dict[str, object], home: Path = AIRFLOW_HOME) -> str:
    """Run one DAG in-process; returns Airflow's output, raises with its tail when the run failed."""
    ensure_db(home)
    proc = _airflow(["dags", "test", dag_id, "-c", json.dumps(conf)], airflow_env(home))
    output = proc.stdout + proc.stderr
    if proc.returncode != 0 or "state=failed" in output:
        raise ErreurPacte(f"Le DAG {dag_id} a échoué :\n{output[-3000:]}")
    return output
