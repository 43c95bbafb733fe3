"""Airflow DAG `pacte_diagnostic`: recognise → validate (Great Expectations) → land → dbt build → publish.

Thin on purpose: each task calls one step of `warehouse.run` (plan, ingest, build, publish), the steps that
`bin/pacte run` chains in one process. The inbox is recognised once: the tasks pass the run's reference
(`warehouse.plan.RunRef`: run id, files, départements) through XCom. Heavy imports (GX, dbt, pandas) happen
inside tasks so that DAG parsing stays fast.
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


def _workspace(params: dict):
    from warehouse.workspace import Workspace

    return Workspace.at(params.get("workspace") or None)


with DAG(
    dag_id="pacte_diagnostic",
    description="Chaîne complète du diagnostic territorial (dépôt → entrepôt publié)",
    schedule=None,
    tags=["pacte", "publication"],
    doc_md=DOC_MD,
    params={
        "departement": Param("16", type="string", description="Code du département"),
        "inbox": Param("", type="string", description="Dossier de dépôt des fichiers"),
        "workspace": Param("", type="string", description="Espace de travail (vide = var/workspace/)"),
        "geo_millesime": Param(None, type=["null", "integer"], description="Millésime du COG"),
    },
    **DAG_DEFAULTS,
) as dag:

    @task(retries=0)
    def reconnaitre(params: dict | None = None) -> dict:
        from pathlib import Path

        from warehouse import plan

        run_plan = plan.recognise(params["departement"], Path(params["inbox"]).resolve())
        from ingestion.registry import unknown_hint

        print(f"{len(run_plan.recognised)} fichier(s) reconnu(s), {len(run_plan.unknown)} non reconnu(s) : "
              + ", ".join(p.name + (f" ({hint})" if (hint := unknown_hint(p)) else "") for p in run_plan.unknown))
        return run_plan.ref.to_dict()

    @task(retries=0)  # a bad file will not get better: no retries on validation
    def valider(ref: dict, params: dict | None = None) -> dict:
        from warehouse import ingest, plan

        ws = _workspace(params)
        with ws.writer_lock():
            return {"ref": ref, "entries": ingest.validate_and_stage(ws, plan.RunPlan.from_ref(ref))}

    @task(retries=0, pool=POOL)  # warehouse writers: one at a time
    def charger(staged: dict, params: dict | None = None) -> dict:
        from warehouse import ingest

        ws = _workspace(params)
        with ws.writer_lock():
            ingest.land(ws, staged["ref"]["run_id"], staged["entries"])
        return staged["ref"]

    @task(retries=0, pool=POOL)
    def construire(ref: dict, params: dict | None = None) -> dict:
        from warehouse import plan, run

        ws = _workspace(params)
        with ws.writer_lock():
            return {"ref": ref, "built": run.build_step(ws, plan.RunRef.from_dict(ref), params.get("geo_millesime"))}

    @task(retries=0, pool=POOL)
    def publier(built: dict, params: dict | None = None) -> dict:
        from warehouse import run

        ws = _workspace(params)
        with ws.writer_lock():
            publication = run.publish_step(ws, built["ref"]["run_id"], built["built"])
        for avertissement in publication.get("avertissements", []):
            print(avertissement)
        return publication

    publier(construire(charger(valider(reconnaitre()))))
