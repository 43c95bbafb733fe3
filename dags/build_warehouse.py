"""airflow DAG `build_warehouse`: data-aware, scheduled by any `pacte://landing/<source_id>` Asset event.

One dbt invocation into the build copy, then the atomic publication of `serving/pacte.duckdb`. Both tasks
write the warehouse, hence the pool of size 1 shared with every `charger` task.
"""

from __future__ import annotations

from typing import Any

from _common import DAG_DEFAULTS, POOL, asset_uri, workspace_of
from airflow.sdk import DAG, Asset, AssetAny, Param, task

from ingestion.registry import load_registry

DOC_MD = """
### Construction et publication de l'entrepôt

Déclenché automatiquement dès qu'un DAG `ingest_<source>` a chargé de nouvelles données (événement d'Asset
`pacte://landing/<source>`, l'un **ou** l'autre). `construire` lance **une seule** invocation `dbt build` dans
une copie de travail (`build/<exécution>/pacte.duckdb`), puis `publier` la substitue atomiquement à
`serving/pacte.duckdb` (les tableaux de bord gardent la dernière bonne version en cas d'échec). Si la
construction échoue, les fichiers chargés depuis la dernière publication sont retirés de la zone d'atterrissage
(le message nomme les fichiers et les règles dbt en échec) : la construction suivante repart du dernier état publié.

Paramètres : `workspace` (vide : celui annoncé par l'événement d'Asset, sinon `PACTE_WORKSPACE` ou
`var/workspace/`), `departement` (vide : départements déjà publiés, sinon `PACTE_DEPARTEMENT`),
`geo_millesime` (vide : le plus récent chargé). Les deux tâches partagent le pool `entrepot_duckdb`.
"""

ASSETS = [Asset(asset_uri(sid)) for sid in load_registry()]


def _params(params: dict[str, Any] | None, triggering_asset_events: Any) -> dict[str, Any]:
    """Asset-triggered runs get their workspace from the event's extra (set by `charger`)."""
    import os

    resolved = dict(params or {})
    if not resolved.get("workspace") and triggering_asset_events:
        for events in triggering_asset_events.values():
            for event in events:
                if (event.extra or {}).get("workspace"):
                    resolved["workspace"] = event.extra["workspace"]
    resolved["departement"] = resolved.get("departement") or os.environ.get("PACTE_DEPARTEMENT", "")
    return resolved


with DAG(
    dag_id="build_warehouse",
    description="Construction dbt et publication atomique de l'entrepôt (déclenché par les Assets)",
    schedule=AssetAny(*ASSETS),
    tags=["pacte", "publication", "dbt"],
    doc_md=DOC_MD,
    params={
        "workspace": Param("", type="string", description="Espace de travail"),
        "departement": Param("", type="string", description="Département à ajouter (ex. 16)"),
        "geo_millesime": Param(None, type=["null", "integer"], description="Millésime du COG"),
    },
    **DAG_DEFAULTS,
) as dag:

    @task(retries=0, pool=POOL)
    def construire(params: dict[str, Any] | None = None, triggering_asset_events: Any = None) -> dict:
        from warehouse import plan, run

        p = _params(params, triggering_asset_events)
        ws = workspace_of(p)
        with ws.writer_lock():
            ref = plan.for_rebuild(ws, p["departement"] or None).ref
            built = run.build_step(ws, ref, p.get("geo_millesime"))
        return {"workspace": str(ws.root), "ref": ref.to_dict(), "built": built}

    @task(retries=0, pool=POOL)
    def publier(built: dict) -> dict:
        from warehouse import run
        from warehouse.workspace import Workspace

        ws = Workspace.at(built["workspace"])
        with ws.writer_lock():
            publication = run.publish_step(ws, built["ref"]["run_id"], built["built"])
        print(f"Entrepôt publié : {publication['fichier']} (version {publication['version']})")
        for avertissement in publication.get("avertissements", []):
            print(avertissement)
        return {"version": publication["version"], "fichier": publication["fichier"], "workspace": built["workspace"]}

    @task(retries=0, pool=POOL)
    def produire_livrables(publie: dict) -> list[str]:
        """The report (PDF, DOCX) and the workbook of each département, in livrables/<version>/."""
        from warehouse.livrables.production import produire
        from warehouse.workspace import Workspace

        fichiers = produire(Workspace.at(publie["workspace"]))
        for f in fichiers:
            print(f"Livrable écrit : {f}")
        return [str(f) for f in fichiers]

    produire_livrables(publier(construire()))
