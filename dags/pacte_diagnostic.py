"""Airflow DAG `pacte_diagnostic`: recognise → validate (Great Expectations) → land → dbt build → publish.

Thin on purpose: every step calls `warehouse.pipeline`, which is plain Python (also used by `bin/pacte run`).
Heavy imports (GX, dbt, pandas) happen inside tasks so that DAG parsing stays fast.
"""

from __future__ import annotations

from _common import DAG_DEFAULTS, POOL
from airflow.sdk import DAG, Param, task

DOC_MD = """
### Diagnostic territorial — chaîne complète

Reconnaît les fichiers du dossier de dépôt, les valide (suites Great Expectations), les charge dans la
zone d'atterrissage, construit l'entrepôt avec dbt dans une copie de travail puis le **publie
atomiquement** (`serving/pacte.duckdb`). Un fichier refusé arrête la chaîne : rien n'est chargé ni publié.
Une construction dbt en échec retire de la zone d'atterrissage les fichiers chargés depuis la dernière
publication (message : fichiers et règles en échec) ; l'entrepôt publié est inchangé.

Paramètres : `departement` (ex. 16), `inbox` (dossier de dépôt), `workspace` (espace de travail),
`geo_millesime` (millésime du COG ; par défaut le plus récent chargé).
"""


def _context(params: dict):
    from pathlib import Path

    from warehouse import pipeline
    from warehouse.workspace import Workspace

    ws = Workspace.at(params.get("workspace") or None)
    return pipeline, ws, Path(params["inbox"]).resolve()


with DAG(
    dag_id="pacte_diagnostic",
    description="Chaîne complète du diagnostic territorial (dépôt → entrepôt publié)",
    schedule=None,
    tags=["pacte", "publication"],
    doc_md=DOC_MD,
    params={
        "departement": Param("16", type="string", description="Code du département"),
        "inbox": Param("", type="string", description="Dossier de dépôt des fichiers"),
        "workspace": Param("", type="string", description="Espace de travail (vide = warehouse/)"),
        "geo_millesime": Param(None, type=["null", "integer"], description="Millésime du COG"),
    },
    **DAG_DEFAULTS,
) as dag:

    @task(retries=0)
    def reconnaitre(params: dict | None = None) -> dict:
        pipeline, ws, inbox = _context(params)
        plan = pipeline.recognise(ws, params["departement"], inbox)
        return {"run_id": plan.run_id, "reconnus": [str(f.path) for f in plan.reconnus],
                "inconnus": [str(p) for p in plan.inconnus]}

    @task(retries=0)  # a bad file will not get better: no retries on validation
    def valider(plan_info: dict, params: dict | None = None) -> dict:
        pipeline, ws, inbox = _context(params)
        with ws.writer_lock():
            plan = pipeline.recognise(ws, params["departement"], inbox, run_id=plan_info["run_id"])
            return pipeline.validate_and_stage(ws, plan)

    @task(retries=0, pool=POOL)  # warehouse writers: one at a time
    def charger(plan_info: dict, entries: dict, params: dict | None = None) -> int:
        pipeline, ws, inbox = _context(params)
        with ws.writer_lock():
            plan = pipeline.recognise(ws, params["departement"], inbox, run_id=plan_info["run_id"])
            pipeline.land(ws, plan, entries)
        return len(entries)

    @task(retries=0, pool=POOL)
    def construire(plan_info: dict, _nb_charges: int, params: dict | None = None) -> dict:
        pipeline, ws, inbox = _context(params)
        with ws.writer_lock():
            plan = pipeline.recognise(ws, params["departement"], inbox, run_id=plan_info["run_id"])
            return pipeline.build_step(ws, plan, params.get("geo_millesime"))

    @task(retries=0, pool=POOL)
    def publier(plan_info: dict, built: dict, params: dict | None = None) -> dict:
        pipeline, ws, inbox = _context(params)
        with ws.writer_lock():
            plan = pipeline.recognise(ws, params["departement"], inbox, run_id=plan_info["run_id"])
            return pipeline.publish_step(ws, plan, built)

    plan_info = reconnaitre()
    entries = valider(plan_info)
    nb = charger(plan_info, entries)
    built = construire(plan_info, nb)
    publier(plan_info, built)
