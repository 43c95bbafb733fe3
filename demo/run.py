"""`bin/pacte demo` (`python -m demo`): the main job on demo inputs, in its own workspace (synthetic data never
mixes with real)."""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
from pathlib import Path

from rich.console import Console

from demo.inputs import build_demo_inbox
from ingestion.errors import PacteError
from warehouse import run
from warehouse.airflow_local import dags_test
from warehouse.publish import current_publication
from warehouse.workspace import DEMO_WORKSPACE, REPO_ROOT, Workspace

CACHE = REPO_ROOT / ".cache" / "registry"
SUPERSET_HOME = REPO_ROOT / ".superset"
SUPERSET_PY = REPO_ROOT / ".venvs" / "superset" / "bin" / "python"


def demo_credentials(home: Path = SUPERSET_HOME) -> dict[str, str]:
    """Demo-only secrets, generated once and kept out of git (`.superset/demo.env`)."""
    path = home / "demo.env"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        path.write_text(f"SUPERSET_SECRET_KEY={secrets.token_urlsafe(42)}\n"
                        f"PACTE_SUPERSET_ADMIN_PASSWORD={secrets.token_urlsafe(9)}\n")
        path.chmod(0o600)
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def start_superset(served: Path, console: Console) -> None:
    if not SUPERSET_PY.exists():
        raise PacteError("Environnement Superset absent : lancez « make setup ».")
    creds = demo_credentials()
    env = {**os.environ, **creds, "PACTE_SUPERSET_HOME": str(SUPERSET_HOME)}
    manage = [str(SUPERSET_PY), str(REPO_ROOT / "dashboards" / "manage.py")]
    for step, args in (("initialisation", ["init"]), ("import des tableaux de bord", ["import", "--served", str(served)]),
                       ("démarrage", ["start"]), ("préchauffage des tableaux de bord", ["prechauffer"])):
        console.print(f"Superset : {step}…")
        proc = subprocess.run(manage + args, env=env, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise PacteError(f"Superset ({step}) a échoué : {(proc.stdout + proc.stderr)[-1500:]}")
    console.print("[bold green]Superset est prêt : http://127.0.0.1:8088[/]")
    console.print(f"  identifiant : admin — mot de passe (démonstration) : {creds['PACTE_SUPERSET_ADMIN_PASSWORD']}")
    console.print("  tableaux de bord : http://127.0.0.1:8088/superset/dashboard/synthese-territoire/ (et etape-1-besoins, "
                  "etape-2-offre, ecarts-besoins-offre, indicateurs-t0, suivi-mi-parcours, etape-3-pistes)")


def freeze_and_compare(ws: Workspace, departement: str, console: Console) -> None:
    """The three-year procedure in miniature, so that « Suivi à mi-parcours » has something to show: the build
    just published is frozen as the demo's T0 (once) and compared with the published build. Both dates are the
    same build, so every computed change is « stable »: a real T+3 is built three years later from newer files."""
    from warehouse.t0 import comparaison
    from warehouse.t0.compare_command import compare
    from warehouse.t0.freeze import freeze
    from warehouse.t0.manifest import snapshot_dir

    label = f"T0-demo-{departement}"
    if not snapshot_dir(ws.root, label).exists():
        freeze(ws.root, label, departement)
        console.print(f"Photographie T0 de démonstration figée : « {label} ».")
    if any(c["t0"] == label and c["departement"] == departement and not c.get("avec")
           for c in comparaison.recorded(ws.root)):
        console.print(f"Comparaison « {label} » / version publiée déjà recalculée à chaque publication.")
        return
    result = compare(ws.root, label, departement)
    statuts = ", ".join(f"{k} {v}" for k, v in sorted(result["statuts"].items()))
    console.print(f"Comparaison « {label} » / version publiée {result['publication']['version']} publiée "
                  f"({statuts}) : tableau de bord « Suivi à mi-parcours ».")


def run_demo(args: argparse.Namespace, console: Console) -> int:
    ws = Workspace.at(args.workspace or DEMO_WORKSPACE)
    inbox = ws.root / "inbox"
    console.print("Préparation des données de démonstration (géographie réelle du paquet npm "
                  "@etalab/decoupage-administratif, Filosofi SYNTHÉTIQUE au format INSEE)…")
    build_demo_inbox(inbox, CACHE, args.departement)
    before = (current_publication(ws) or {}).get("version")
    if args.sans_airflow:
        run.run(ws, args.departement, inbox)
    else:
        console.print("Exécution du DAG Airflow « pacte_diagnostic » (airflow dags test, sans ordonnanceur)…")
        dags_test("pacte_diagnostic", {"departement": args.departement, "inbox": str(inbox),
                                       "workspace": str(ws.root)})
    pub = current_publication(ws)
    if pub is None:
        raise PacteError("Le DAG s'est terminé sans publier de version de l'entrepôt.")
    if pub["version"] == before:  # a second `make demo`: same inputs, same code, nothing rebuilt
        console.print(f"[green]Entrepôt de démonstration déjà à jour[/] : {pub['fichier']} (version "
                      f"{pub['version']} conservée, rien de nouveau dans les fichiers ni dans le code)")
    else:
        console.print(f"[green]Entrepôt de démonstration publié[/] : {pub['fichier']} (version {pub['version']}, "
                      f"COG {pub['geo_millesime']}, {pub['tests_dbt']} tests dbt réussis)")
    console.print("[yellow]Données Filosofi SYNTHÉTIQUES (démonstration) : ne pas utiliser pour un diagnostic.[/]")
    freeze_and_compare(ws, args.departement, console)
    if not args.sans_superset:
        start_superset(ws.served_db, console)
    return 0
