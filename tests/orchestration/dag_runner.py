"""Run several DAGs with `dag.test()` in ONE process (one Airflow start-up instead of one per DAG).

Usage (environment from `warehouse.airflow_local.airflow_env`): python dag_runner.py '<json plan>'
where the plan is a list of {"dag_id": ..., "conf": {...}}. Prints one JSON line per DAG run, prefixed
with `RESULT `, with the state of every task instance and the asset events of the run.
"""

from __future__ import annotations

import json
import sys


def main(plan: list[dict]) -> None:
    from airflow import settings
    from airflow.dag_processing.dagbag import DagBag
    from airflow.models.asset import AssetDagRunQueue, AssetEvent, AssetModel
    from sqlalchemy import select

    bag = DagBag(dag_folder=settings.DAGS_FOLDER)
    if bag.import_errors:
        print("RESULT " + json.dumps({"import_errors": {k: str(v) for k, v in bag.import_errors.items()}}))
        return
    for step in plan:
        dag = bag.dags[step["dag_id"]]
        dr = dag.test(run_conf=step.get("conf") or {})
        with settings.Session() as session:
            tis = {ti.task_id: str(ti.state) for ti in dr.get_task_instances(session=session)}
            events = session.execute(
                select(AssetModel.uri, AssetEvent.extra, AssetEvent.source_dag_id, AssetEvent.source_run_id)
                .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
                .where(AssetEvent.source_run_id == dr.run_id)).all()
            queued = session.execute(select(AssetDagRunQueue.target_dag_id, AssetModel.uri)
                                     .join(AssetModel, AssetModel.id == AssetDagRunQueue.asset_id)).all()
        print("RESULT " + json.dumps({
            "dag_id": dag.dag_id, "run_id": dr.run_id, "state": str(dr.state), "tasks": tis,
            "events": [{"uri": u, "extra": e, "dag": d} for u, e, d, _ in events],
            "queued": sorted({f"{t} <- {u}" for t, u in queued}),
        }), flush=True)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
