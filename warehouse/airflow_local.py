"""Run the Airflow DAGs in-process on this machine (SQLite metadata, no scheduler): `airflow dags test`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ingestion.errors import PacteError
from warehouse import supervisor
from warehouse.settings import POOL, POOL_DESCRIPTION, TZ
from warehouse.workspace import REPO_ROOT

AIRFLOW_HOME = REPO_ROOT / ".airflow"


def airflow_env(home: Path = AIRFLOW_HOME) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": TZ,
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        # dags/ too: the DAG files share dags/_common.py, whatever process imports them.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), str(REPO_ROOT / "dags"), env.get("PYTHONPATH")])),
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
            raise PacteError(f"Initialisation de la base Airflow impossible : {proc.stderr[-800:]}")
    ensure_pool(home)


POOL_ARGS = ["pools", "set", POOL, "1", POOL_DESCRIPTION]


def ensure_pool(home: Path = AIRFLOW_HOME) -> None:
    """The pool shared by every warehouse writer (land, build, publish): one slot, DuckDB has one writer."""
    marker = home / f".pool_{POOL}"
    if marker.exists():
        return
    proc = _airflow(POOL_ARGS, airflow_env(home))
    if proc.returncode != 0:
        raise PacteError(f"Création du pool Airflow {POOL} impossible : {proc.stderr[-800:]}")
    marker.write_text("1\n")


def dags_test(dag_id: str, conf: dict[str, object], home: Path = AIRFLOW_HOME) -> str:
    """Run one DAG in-process; returns Airflow's output, raises with its tail when the run failed."""
    ensure_db(home)
    proc = _airflow(["dags", "test", dag_id, "-c", json.dumps(conf)], airflow_env(home))
    output = proc.stdout + proc.stderr
    if proc.returncode != 0 or "state=failed" in output:
        raise PacteError(f"Le DAG {dag_id} a échoué :\n{output[-3000:]}")
    return output


# --- `bin/pacte airflow`: scheduler + API server on this machine ----------------------------------------
# Airflow 3 runs LocalExecutor on SQLite (SequentialExecutor no longer exists; `airflow standalone` does the
# same). SQLite serialises writes, so parallelism stays low: fine for a handful of monthly/yearly DAGs.
SERVICES = ("api-server", "scheduler", "dag-processor")  # no triggerer: no deferrable task in our DAGs
SERVICES_FILE = "services_pacte.json"


def _services_env(home: Path, port: int, workspace: Path | None, inbox: Path | None) -> dict[str, str]:
    import secrets

    secret_file = home / ".jwt_secret"  # every process must sign/verify task tokens with the same key
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(48))
        secret_file.chmod(0o600)
    env = airflow_env(home)
    env.update({
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__API__HOST": "127.0.0.1", "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__API_AUTH__JWT_SECRET": secret_file.read_text().strip(),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",  # refreshes must rebuild without anyone acting
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    })
    if workspace:
        env["PACTE_WORKSPACE"] = str(workspace.resolve())
    if inbox:
        env["PACTE_INBOX"] = str(inbox.resolve())
    return env


def running_services(home: Path = AIRFLOW_HOME) -> dict[str, int]:
    path = home / SERVICES_FILE
    if not path.exists():
        return {}
    return {name: pid for name, pid in json.loads(path.read_text())["pids"].items() if supervisor.alive(pid)}


def start_services(console, port: int = 8080, workspace: Path | None = None, inbox: Path | None = None,
                   home: Path | None = None, timeout: float = 120.0) -> dict[str, int]:
    """Start the Airflow services detached (own session), wait for /api/v2/monitor/health, print the URL."""
    home = home or Path(os.environ.get("PACTE_AIRFLOW_HOME") or AIRFLOW_HOME)
    if running := running_services(home):
        raise PacteError(f"Airflow tourne déjà (processus {', '.join(map(str, running.values()))}) : "
                          f"« bin/pacte airflow --arreter » pour l'arrêter.")
    if supervisor.port_in_use(port):
        raise PacteError(f"Le port {port} est déjà utilisé sur 127.0.0.1 : choisissez-en un autre (--port).")
    ensure_db(home)
    env = _services_env(home, port, workspace, inbox)
    logs = home / "logs" / "services"
    logs.mkdir(parents=True, exist_ok=True)
    pids: dict[str, int] = {}
    for name in SERVICES:
        args = [sys.executable, "-m", "airflow", name]
        if name == "api-server":
            args += ["--host", "127.0.0.1", "--port", str(port)]
        elif name == "scheduler":
            args.append("--skip-serve-logs")  # its log server would listen on every interface; logs are local files
        with (logs / f"{name}.log").open("ab") as log:
            proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        pids[name] = proc.pid
    (home / SERVICES_FILE).write_text(json.dumps({"port": port, "pids": pids}))
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:  # ready when the scheduler has sent a heartbeat too, not just when the API answers
            health = json.loads(supervisor.http_get(f"{url}/api/v2/monitor/health", timeout=2) or b"{}")
        except ValueError:
            return False
        return all(health.get(k, {}).get("status") == "healthy" for k in ("metadatabase", "scheduler"))

    if not supervisor.wait_until(ready, lambda: all(map(supervisor.alive, pids.values())), timeout):
        dead = [n for n, pid in pids.items() if not supervisor.alive(pid)]
        stop_services(console, home)
        raise PacteError(f"Airflow n'a pas démarré ({', '.join(dead) or 'délai dépassé'}) : "
                          f"voir les journaux dans {logs}")
    passwords = home / "simple_auth_manager_passwords.json.generated"
    console.print(f"[bold green]Airflow est prêt : {url}[/] (ordonnanceur LocalExecutor, base SQLite {home}/airflow.db)")
    if passwords.exists():
        console.print(f"  identifiant : admin — mot de passe : {json.loads(passwords.read_text()).get('admin')}")
    console.print(f"  journaux : {logs}")
    console.print("  pour arrêter : bin/pacte airflow --arreter")
    return pids


def stop_services(console, home: Path | None = None, grace: float = 20.0) -> list[str]:
    """SIGTERM each service's process group (it owns its workers), SIGKILL after `grace` seconds."""
    home = home or Path(os.environ.get("PACTE_AIRFLOW_HOME") or AIRFLOW_HOME)
    path = home / SERVICES_FILE
    if not path.exists():
        console.print("Aucun Airflow local démarré par « bin/pacte airflow ».")
        return []
    pids: dict[str, int] = json.loads(path.read_text())["pids"]
    supervisor.stop_groups(list(pids.values()), grace, 10)
    path.unlink()
    console.print(f"Airflow arrêté ({', '.join(pids)}).")
    return list(pids)


if __name__ == "__main__":  # `python -m warehouse.airflow_local pool`: the pool on a server (docker-compose)
    if sys.argv[1:] != ["pool"]:
        sys.exit("utilisation : python -m warehouse.airflow_local pool")
    proc = _airflow(POOL_ARGS, dict(os.environ))
    print(proc.stdout + proc.stderr)
    sys.exit(proc.returncode)
