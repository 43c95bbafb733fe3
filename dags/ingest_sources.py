"""One airflow DAG `ingest_<source_id>` per registry fragment (`ingestion/sources/*.yml`), generated here.

fetch (publisher URL when online, else the inbox) → validate (GX suite, no retry) → land (pool of size 1)
→ Asset `pacte://landing/<source_id>`, which schedules `build_warehouse`. Only the small registry YAML is
read at parse time; GX, pandas and dbt are imported inside the tasks.
"""

from __future__ import annotations

from typing import Any

from _common import DAG_DEFAULTS, FETCH_RETRIES, POOL, asset_uri, inbox_of, workspace_of
from airflow.sdk import DAG, Asset, Param, task
from airflow.sdk.exceptions import AirflowSkipException

from ingestion.registry import Source, load_registry


def _doc(source: Source) -> str:
    formats = "\n".join(f"- `{f.id}` : {f.libelle} — nom de fichier `{f.nom.pattern}`" for f in source.formats)
    return f"""
### Ingestion — {source.libelle}

- **Producteur** : {source.producteur}
- **Niveaux géographiques** : {", ".join(source.niveaux)}
- **Calendrier** : {source.calendrier.get("commentaire", "")} (cron `{source.calendrier["cron"]}`, heure de Paris)
- **Page du producteur** : {source.url or "—"}
- **Secret statistique** : {source.secret}

**Formats reconnus**

{formats or "- (aucun format déclaré)"}

**Étapes** : `recuperer` (téléchargement depuis l'adresse du producteur si `en_ligne`, sinon dossier de dépôt
`<inbox>/{source.id}/` ou fichiers du dépôt reconnus comme « {source.id} » ; jusqu'à 3 nouvelles tentatives
espacées de 5, 10 puis 20 min) → `valider` (suite Great Expectations ; **aucune nouvelle tentative** : un
fichier refusé ne s'améliorera pas, il part en quarantaine) → `charger` (zone d'atterrissage, pool
`{POOL}`) → événement d'Asset `{asset_uri(source.id)}` qui déclenche `build_warehouse`.
Rien de nouveau (fichiers déjà chargés, même SHA-256) : `charger` est sautée et l'entrepôt n'est pas reconstruit.
Un échec est résumé en français dans `<espace>/state/derniere_erreur.json` (affiché par `bin/pacte status`).
"""


def _make_dag(source: Source) -> DAG:
    asset = Asset(asset_uri(source.id), extra={"source_id": source.id})
    with DAG(
        dag_id=f"ingest_{source.id}",
        description=f"Ingestion : {source.libelle}"[:200],
        schedule=source.calendrier["cron"],
        tags=["pacte", "ingestion", source.id, source.producteur.split()[0].lower()],
        doc_md=_doc(source),
        params={
            "inbox": Param("", type="string", description="Dossier de dépôt (vide : <espace>/inbox ou PACTE_INBOX)"),
            "workspace": Param("", type="string",
                               description="Espace de travail (vide : PACTE_WORKSPACE ou var/workspace/)"),
            "en_ligne": Param(False, type="boolean", description="Télécharger depuis les adresses du producteur"),
        },
        **DAG_DEFAULTS,
    ) as dag:
        @task(**FETCH_RETRIES)
        def recuperer(params: dict[str, Any] | None = None) -> list[str]:
            from ingestion.fetch import downloads_of, fetch

            ws = workspace_of(params)
            inbox = inbox_of(params, ws)
            inbox.mkdir(parents=True, exist_ok=True)
            recus: list[str] = []
            if (params or {}).get("en_ligne"):
                manifest = ws.landing.manifest()
                items = downloads_of(source.id)
                if not items:
                    print(f"Aucune adresse « telechargements » dans ingestion/sources/{source.id}.yml : "
                          f"fichiers pris dans le dossier de dépôt {inbox}.")
                for item in items:
                    got = fetch(item["url"], inbox, source.id, item["fichier"], manifest=manifest)
                    print(f"{got.url} → {got.chemin.name} ({'déjà chargé' if got.deja_charge else 'nouveau'})")
                    if not got.deja_charge:
                        recus.append(str(got.chemin))
            return recus

        @task(retries=0)
        def valider(_recus: list[str], params: dict[str, Any] | None = None) -> dict:
            from warehouse import ingest, plan

            ws = workspace_of(params)
            run_plan = plan.for_source(source.id, inbox_of(params, ws))
            print(f"{len(run_plan.recognised)} fichier(s) de la source {source.id} : "
                  + ", ".join(f.path.name for f in run_plan.recognised))
            entries = ingest.validate_and_stage(ws, run_plan)
            return {"ref": run_plan.ref.to_dict(), "entries": entries, "deja_charges": run_plan.already_landed}

        @task(retries=0, pool=POOL, outlets=[asset])
        def charger(staged: dict, params: dict[str, Any] | None = None, outlet_events=None) -> int:
            from warehouse import ingest

            if not staged["entries"]:
                raise AirflowSkipException(f"Rien de nouveau pour {source.id} (déjà chargés : "
                                           f"{', '.join(staged['deja_charges']) or 'aucun fichier'}).")
            ws = workspace_of(params)
            with ws.writer_lock():
                ingest.land(ws, staged["ref"]["run_id"], staged["entries"])
            outlet_events[asset].extra = {
                "workspace": str(ws.root), "source_id": source.id,
                "fichiers": sorted(e["fichier"] for e in staged["entries"].values()),
            }
            return len(staged["entries"])

        charger(valider(recuperer()))
    return dag


for _source in load_registry().values():
    globals()[f"ingest_{_source.id}"] = _make_dag(_source)

