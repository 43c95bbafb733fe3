"""Shared defaults of the airflow DAG files (this module itself defines no dag).

Kept import-light: DAG parsing must stay fast, so nothing here touches the disk or imports pandas/GX/dbt.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pendulum

from warehouse.settings import POOL, TZ  # noqa: F401 — POOL re-exported to the DAG files
from warehouse.settings import START_DATE as _START

START_DATE = pendulum.datetime(*_START, tz=TZ)
ASSET_PREFIX = "pacte://landing/"

# Fetches talk to publishers' servers: retry with exponential back-off (5 min, 10 min, 20 min, max 1 h).
FETCH_RETRIES = {"retries": 3, "retry_delay": timedelta(minutes=5), "retry_exponential_backoff": 2.0,
                 "max_retry_delay": timedelta(hours=1)}


def asset_uri(source_id: str) -> str:
    return f"{ASSET_PREFIX}{source_id}"


def default_workspace() -> str:
    """`PACTE_WORKSPACE` (docker-compose, team server), empty for the default workspace."""
    return os.environ.get("PACTE_WORKSPACE", "")


def default_inbox() -> str:
    return os.environ.get("PACTE_INBOX", "")


def workspace_of(params: dict[str, Any] | None):
    from warehouse.workspace import Workspace

    return Workspace.at((params or {}).get("workspace") or default_workspace() or None)


def inbox_of(params: dict[str, Any] | None, ws) -> Any:
    from pathlib import Path

    raw = (params or {}).get("inbox") or default_inbox()
    return Path(raw).resolve() if raw else ws.root / "inbox"


def write_failure(context: dict[str, Any]) -> None:
    """on_failure_callback: a French summary of the failure for `bin/pacte status` (never raises)."""
    import json
    from datetime import UTC, datetime

    try:
        ti = context.get("ti") or context.get("task_instance")
        dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
        task_id = getattr(ti, "task_id", "?")
        exc = context.get("exception")
        message = str(exc) if exc is not None else "erreur inconnue (voir le journal de la tâche)"
        logical = context.get("logical_date")
        summary = {
            "dag": dag_id, "tache": task_id,
            "date": datetime.now(UTC).astimezone(pendulum.timezone(TZ)).isoformat(timespec="seconds"),
            "date_logique": logical.isoformat() if logical else None,
            "execution": getattr(context.get("dag_run"), "run_id", None),
            "tentative": getattr(ti, "try_number", None),
            "message": message[-4000:],
            "resume": f"Le DAG « {dag_id} » a échoué à la tâche « {task_id} » : {message[:500]}",
        }
        ws = workspace_of(context.get("params"))
        path = ws.last_failure_path
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(tmp, path)
    except Exception as exc:  # a callback must not hide the task's own error
        print(f"Impossible d'écrire le résumé d'échec : {exc}")


DEFAULT_ARGS: dict[str, Any] = {
    "owner": "pacte",
    "retries": 0,  # default: no retry (a bad file will not get better); fetch tasks opt in
    "on_failure_callback": write_failure,
}

DAG_DEFAULTS: dict[str, Any] = {
    "start_date": START_DATE,
    "catchup": False,
    "max_active_runs": 1,
    "default_args": DEFAULT_ARGS,
}
