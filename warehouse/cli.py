"""`bin/pacte`: the command line of the diagnostic warehouse (messages in French)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ingestion.errors import PacteError
from ingestion.registry import unknown_hint
from warehouse import ingest, plan, run
from warehouse.publish import current_publication
from warehouse.workspace import DEFAULT_WORKSPACE, DEMO_WORKSPACE, REPO_ROOT, Workspace

# Piped to a file or another program, lines are not cut at 80 columns (file names, versions stay whole).
console = Console(stderr=False, highlight=False, soft_wrap=not sys.stdout.isatty())
err = Console(stderr=True, highlight=False)

EXIT_OK, EXIT_ERREUR, EXIT_VALIDATION = 0, 1, 2


class FrenchParser(argparse.ArgumentParser):
    def format_usage(self) -> str:
        return super().format_usage().replace("usage:", "utilisation :")

    def format_help(self) -> str:
        return (super().format_help().replace("usage:", "utilisation :")
                .replace("options:", "options :").replace("positional arguments:", "commandes :"))

    def error(self, message: str) -> None:  # noqa: D102 - argparse API
        self.print_usage(sys.stderr)
        message = (message.replace("the following arguments are required", "arguments obligatoires manquants")
                   .replace("invalid choice", "choix invalide").replace("unrecognized arguments", "arguments inconnus")
                   .replace("expected one argument", "une valeur est attendue"))
        self.exit(EXIT_ERREUR, f"{self.prog} : erreur : {message}\n")


def parser() -> FrenchParser:
    p = FrenchParser(prog="pacte", add_help=False,
                     description="Entrepôt du diagnostic territorial (Pacte local des solidarités).")
    p.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")
    sub = p.add_subparsers(dest="commande", metavar="COMMANDE", parser_class=FrenchParser)

    cmd = sub.add_parser("run", add_help=False, help="ingérer, valider, construire et publier un dépôt de fichiers")
    cmd.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")
    cmd.add_argument("--departement", required=True, help="code(s) du département : 16, 16,40 ou « tous »")
    cmd.add_argument("--inbox", required=True, type=Path, help="dossier contenant les fichiers déposés")
    cmd.add_argument("--geo-millesime", type=int, help="millésime du COG (par défaut : le plus récent chargé)")
    cmd.add_argument("--workspace", type=Path, help=f"espace de travail (par défaut : {DEFAULT_WORKSPACE})")

    demo = sub.add_parser("demo", add_help=False,
                          help=f"démonstration sur données de démonstration ({_rel(DEMO_WORKSPACE)}/)")
    demo.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")
    demo.add_argument("--departement", default="16", help="département de la démonstration (par défaut : 16)")
    demo.add_argument("--workspace", type=Path, help=f"espace de travail (par défaut : {_rel(DEMO_WORKSPACE)})")
    demo.add_argument("--sans-airflow", action="store_true", help="exécuter sans passer par le DAG Airflow")
    demo.add_argument("--sans-superset", action="store_true", help="ne pas importer ni démarrer Superset")

    tpl = sub.add_parser("template", add_help=False,
                         help="générer un modèle Excel à remplir (dispositifs, pistes du comité, fiches actions)")
    tpl.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")
    tpl.add_argument("modele", choices=["dispositifs", "pistes", "fiches-actions"],
                     help="modèle à générer : dispositifs, pistes ou fiches-actions")
    tpl.add_argument("--t0", help="fiches-actions : photographie T0 d'où prendre les valeurs T0 (ex. T0-2024)")
    tpl.add_argument("--sortie", type=Path,
                     help="fichier à écrire (par défaut : tableau_dispositifs.xlsx, pistes_comite_<DD>.xlsx, "
                          "fiches_actions_<DD>.xlsx)")
    tpl.add_argument("--departement", help="limiter la liste des EPCI à ce département (ex. 16) ; "
                                           "obligatoire pour les pistes")
    tpl.add_argument("--workspace", type=Path,
                     help=f"espace de travail d'où lire les EPCI (par défaut : {_rel(DEFAULT_WORKSPACE)}/)")

    clas = sub.add_parser("classeur", add_help=False,
                          help="classeur Excel du diagnostic (dispositifs, indicateurs, écarts, pistes)")
    clas.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")
    clas.add_argument("--departement", required=True, help="département du classeur (ex. 16)")
    clas.add_argument("--sortie", type=Path, help="fichier à écrire (par défaut : diagnostic_<DD>.xlsx)")
    clas.add_argument("--workspace", type=Path, help=f"espace de travail (par défaut : {_rel(DEFAULT_WORKSPACE)}/)")

    rap = sub.add_parser("rapport", add_help=False, help="rapport du diagnostic pour le comité (pdf, docx, html)")
    rap.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")
    rap.add_argument("--departement", required=True, help="département du rapport (ex. 16)")
    rap.add_argument("--format", choices=["pdf", "docx", "html"], default="pdf", help="pdf (par défaut), docx ou html")
    rap.add_argument("--t0", help="photographie T0 de référence, rappelée en annexe (ex. T0-2024)")
    rap.add_argument("--sortie", type=Path, help="fichier à écrire (par défaut : rapport_diagnostic_<DD>.<format>)")
    rap.add_argument("--workspace", type=Path, help=f"espace de travail (par défaut : {_rel(DEFAULT_WORKSPACE)}/)")

    status = sub.add_parser("status", add_help=False, help="version publiée, date et fichiers d'origine")
    status.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")
    status.add_argument("--workspace", type=Path, help=f"espace de travail (par défaut : {_rel(DEFAULT_WORKSPACE)}/)")

    af = sub.add_parser("airflow", add_help=False,
                        help="démarrer (ou arrêter) Airflow en local : ordonnanceur + interface sur 127.0.0.1")
    af.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")
    af.add_argument("--port", type=int, default=8080, help="port de l'interface (par défaut : 8080)")
    af.add_argument("--arreter", action="store_true", help="arrêter les processus Airflow démarrés par cette commande")
    af.add_argument("--workspace", type=Path,
                    help=f"espace de travail des DAG (par défaut : {_rel(DEFAULT_WORKSPACE)}/)")
    af.add_argument("--inbox", type=Path, help="dossier de dépôt des DAG d'ingestion (par défaut : <espace>/inbox)")

    from warehouse.t0 import commands as t0_commands

    t0_commands.add_parser(sub)
    from warehouse.t0 import compare_command

    compare_command.add_parser(sub)
    return p


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeElapsedColumn(), console=console, transient=True)


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT))


def cmd_run(ws: Workspace, departement: str, inbox: Path, geo_millesime: int | None) -> dict[str, Any]:
    def show_plan(run_plan: plan.RunPlan) -> None:
        console.print(f"[bold]Exécution {run_plan.run_id}[/] — département {run_plan.departement_label}, "
                      f"dépôt {run_plan.inbox}")
        for f in run_plan.recognised:
            console.print(f"  ✓ {f.path.name} : {f.format.libelle}"
                          + (f" — millésime {f.millesime}" if f.millesime else "")
                          + (f" — COG {f.geo_millesime}" if f.geo_millesime else ""))
        for path in run_plan.unknown:
            hint = unknown_hint(path)
            console.print(f"  [yellow]? {path.name} : fichier non reconnu (ignoré)"
                          + (f" — {hint}" if hint else "") + "[/]")

    with _progress() as bar:
        task = bar.add_task("Validation des fichiers", total=None)

        def progress(name: str, i: int, n: int) -> None:
            bar.update(task, description=f"Validé : {name}", completed=i, total=n)

        publication = run.run(ws, departement, inbox, geo_millesime, progress=progress, on_plan=show_plan)
    return publication


def _print_publication(pub: dict[str, Any]) -> None:
    if pub.get("inchange"):
        console.print("[green]Rien de nouveau[/] : aucun fichier nouveau depuis la version publiée, qui reste "
                      "à jour (pas de reconstruction, pas de nouvelle version).")
    console.print(f"[green]Entrepôt publié[/] : {pub['fichier']}")
    console.print(f"  version {pub['version']} — publiée le {pub['publie_le']} — COG {pub['geo_millesime']} — "
                  f"départements {', '.join(pub['departements'])} — {pub['tests_dbt']} tests dbt réussis")
    if pub.get("modeles_repris") and not pub.get("inchange"):
        console.print(f"  {len(pub['modeles_repris'])} table(s) nationale(s) reprise(s) de la version précédente "
                      "(entrées inchangées), sans recalcul : voir construction.modeles_repris")
    if pub.get("codes_non_rattaches"):
        console.print(f"  [yellow]{pub['codes_non_rattaches']} code(s) commune non rattachable(s) au COG "
                      f"{pub['geo_millesime']} (voir marts.controle_codes_non_rattaches)[/]")
    for avertissement in pub.get("avertissements", []):
        console.print(f"  [yellow]{avertissement}[/]")
    if pub.get("donnees_synthetiques"):
        console.print("  [yellow]Attention : l'entrepôt contient des données SYNTHÉTIQUES de démonstration.[/]")


def _print_last_failure(ws: Workspace) -> None:
    """The French summary written by the Airflow DAGs' on_failure_callback (dags/_common.py)."""
    import json

    path = ws.last_failure_path
    if not path.exists():
        return
    from datetime import datetime

    e = json.loads(path.read_text(encoding="utf-8"))
    console.print(f"[red]Dernier échec Airflow[/] le {e.get('date')} : DAG « {e.get('dag')} », "
                  f"tâche « {e.get('tache')} » (exécution {e.get('execution') or '—'})")
    console.print(f"  [red]{e.get('message', '')[:1500]}[/]")
    pub = current_publication(ws)
    if pub and datetime.fromisoformat(pub["publie_le"]) > datetime.fromisoformat(e["date"]):
        console.print(f"  (échec antérieur à la dernière publication, du {pub['publie_le']})")
    else:
        console.print("  L'entrepôt publié reste la dernière version réussie.")


def cmd_status(ws: Workspace) -> int:
    _print_last_failure(ws)
    pub = current_publication(ws)
    if pub is None:
        console.print(f"Aucune version publiée dans {ws.root}.")
        return EXIT_OK
    _print_publication(pub)
    from warehouse.livrables.production import livrables_publies

    for livrable in livrables_publies(ws):
        console.print(f"  Livrable : {livrable}")
    columns = ("Fichier", "Source", "Millésime", "COG", "SHA-256", "Synthétique")
    rows = [(f["fichier"], f["source_id"], str(f["millesime"] or "—"), str(f["geo_millesime"] or "—"),
             f["sha256"], "oui" if f["synthetique"] else "non") for f in pub["fichiers"]]
    if not console.is_terminal:  # a file or a pipe: every value whole, one file per line, tab-separated
        console.print("Fichiers d'origine")
        console.file.writelines("\t".join(line) + "\n" for line in (columns, *rows))  # Rich would expand tabs
        return EXIT_OK
    table = Table(title="Fichiers d'origine")
    for col in columns:
        table.add_column(col, overflow="fold")  # a narrow terminal wraps a name, never cuts it
    for row in rows:
        table.add_row(*row[:4], row[4][:12] + "…", row[5])
    console.print(table)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.commande is None:
        parser().print_help()
        return EXIT_ERREUR
    if args.commande == "demo":  # the demonstration is its own package, which production code never imports
        import subprocess

        demo_args = ["--departement", args.departement] + (["--workspace", str(args.workspace.resolve())] if args.workspace
                                                            else [])
        demo_args += ["--sans-airflow"] * args.sans_airflow + ["--sans-superset"] * args.sans_superset
        return subprocess.run([sys.executable, "-m", "demo", *demo_args], cwd=REPO_ROOT).returncode
    return guarded(lambda: _command(args))


def _command(args: argparse.Namespace) -> int:
    if args.commande == "run":
        ws = Workspace.at(args.workspace)
        _print_publication(cmd_run(ws, args.departement, args.inbox.resolve(), args.geo_millesime))
    elif args.commande == "status":
        return cmd_status(Workspace.at(args.workspace))
    elif args.commande == "airflow":
        from warehouse.airflow_local import start_services, stop_services

        if args.arreter:
            stop_services(console)
        else:
            start_services(console, port=args.port, workspace=args.workspace, inbox=args.inbox)
    elif args.commande == "t0":
        from warehouse.t0 import commands as t0_commands

        return t0_commands.command(args, console, err)
    elif args.commande == "compare":
        from warehouse.t0 import compare_command

        return compare_command.command(args, console, err)
    elif args.commande == "rapport":
        from warehouse.livrables import rapport

        return rapport.command(args, console)
    elif args.commande == "classeur":
        from warehouse.livrables import classeur

        return classeur.command(args, console)
    elif args.commande == "template" and args.modele == "fiches-actions":
        from warehouse.livrables import fiches

        return fiches.command(args, console)
    elif args.commande == "template" and args.modele == "pistes":
        from warehouse.livrables import pistes

        return pistes.command(args, console)
    elif args.commande == "template":
        from ingestion.dispositifs_template import epci_du_departement, generer

        ws = Workspace.at(args.workspace)
        sortie = args.sortie or Path("tableau_dispositifs.xlsx")
        tailles = generer(sortie, epci_du_departement(ws.root, args.departement))
        console.print(f"[green]Modèle écrit[/] : {sortie} — listes déroulantes : "
                      + ", ".join(f"{k} ({n})" for k, n in tailles.items()))
    return EXIT_OK


def guarded(command: Callable[[], int]) -> int:
    """Run a command, turning the pipeline's errors into French messages and exit codes (2: refused input)."""
    try:
        return command()
    except ingest.ValidationFailed as exc:
        err.print(f"[red]{exc}[/]")
        err.print("[red]Rien n'a été chargé ni publié : l'entrepôt publié est inchangé.[/]")
        return EXIT_VALIDATION
    except run.FilesWithdrawn as exc:
        err.print(str(exc), style="red", markup=False)  # dbt messages may hold [brackets]
        err.print("[red]Rien n'a été publié : l'entrepôt publié est inchangé.[/]")
        return EXIT_VALIDATION
    except PacteError as exc:
        err.print(f"[red]Erreur : {exc}[/]")
        return EXIT_ERREUR


if __name__ == "__main__":
    sys.exit(main())
