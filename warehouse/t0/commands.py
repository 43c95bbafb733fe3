"""`bin/pacte t0 …` sub-commands (wired into warehouse/cli.py; messages in French)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from warehouse.t0.manifest import SnapshotError
from warehouse.workspace import DEFAULT_WORKSPACE, Workspace

EXIT_OK, EXIT_ERREUR = 0, 1


def add_parser(sub: Any) -> None:
    t0 = sub.add_parser("t0", add_help=False, help="photographie T0 : figer, lister, vérifier, exporter, importer, "
                                                   "rejouer")
    t0.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")
    actions = t0.add_subparsers(dest="action", metavar="ACTION", parser_class=type(t0), required=True)

    def action(name: str, text: str) -> argparse.ArgumentParser:
        p = actions.add_parser(name, add_help=False, help=text)
        p.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")
        return p

    ws_help = f"espace de travail (par défaut : {DEFAULT_WORKSPACE})"
    p = action("freeze", "figer la version publiée d'un département sous un libellé (jamais remplacé)")
    p.add_argument("--label", required=True, help="libellé de la photographie, ex. T0-2024")
    p.add_argument("--departement", required=True, help="code du département, ex. 16")
    p.add_argument("--workspace", type=Path, help=ws_help)
    p.add_argument("--inbox", type=Path, help="dossier des fichiers d'origine, si l'espace a été rempli avant "
                                              "l'archivage des originaux")
    p = action("list", "lister les photographies de l'espace")
    p.add_argument("--workspace", type=Path, help=ws_help)
    p = action("verify", "revérifier toutes les empreintes d'une photographie")
    p.add_argument("label", help="libellé de la photographie")
    p.add_argument("--workspace", type=Path, help=ws_help)
    p = action("export", "écrire la photographie et ses fichiers d'origine dans un seul fichier (.tar.gz)")
    p.add_argument("label", help="libellé de la photographie")
    p.add_argument("--sortie", required=True, type=Path, help="fichier à écrire, ex. T0-2024.tar.gz")
    p.add_argument("--workspace", type=Path, help=ws_help)
    p = action("import", "importer une photographie exportée, toutes empreintes vérifiées")
    p.add_argument("fichier", type=Path, help="fichier écrit par « bin/pacte t0 export »")
    p.add_argument("--workspace", type=Path, help=ws_help)
    p = action("replay", "reconstruire le département depuis les seuls fichiers archivés et comparer l'empreinte")
    p.add_argument("label", help="libellé de la photographie")
    p.add_argument("--workspace", required=True, type=Path, help="espace de travail neuf où reconstruire")
    p.add_argument("--depuis", type=Path, help="espace qui contient la photographie, si ce n'est pas l'espace neuf")


def _ws_root(path: Path | None) -> Path:
    return Workspace.at(path).root


def command(args: argparse.Namespace, console: Console, err: Console) -> int:
    from warehouse.t0 import freeze, replay

    if args.action == "freeze":
        m = freeze.freeze(_ws_root(args.workspace), args.label, args.departement,
                          args.inbox.resolve() if args.inbox else None)
        console.print(f"[green]Photographie « {m['label']} » figée[/] : département {m['departement']}, version "
                      f"{m['build_id']}, COG {m['geo_millesime']}, {m['lignes_indicateurs']} lignes d'indicateurs, "
                      f"{len(m['fichiers_entree'])} fichier(s) d'origine archivé(s).")
        console.print(f"  empreinte de contenu : {m['empreinte_indicateurs']}")
        console.print("  Elle figurera dans marts.photographies_t0 à la prochaine publication (bin/pacte run).")
    elif args.action == "list":
        from warehouse.t0.manifest import list_snapshots

        snapshots = list_snapshots(_ws_root(args.workspace))
        if not snapshots:
            console.print("Aucune photographie T0 dans cet espace.")
            return EXIT_OK
        table = Table(title="Photographies T0")
        for col in ("Libellé", "Département", "Figée le", "Version", "COG", "Lignes", "Empreinte", "Fichiers"):
            table.add_column(col)
        for m in snapshots:
            if "erreur" in m:
                table.add_row(m["label"], "—", "—", "—", "—", "—", f"[red]{m['erreur']}[/]", "—")
                continue
            table.add_row(m["label"], m["departement"], m["cree_le"], m["build_id"], str(m["geo_millesime"]),
                          str(m["lignes_indicateurs"]), m["empreinte_indicateurs"][:16] + "…",
                          str(len(m["fichiers_entree"])))
        console.print(table)
    elif args.action == "verify":
        manifest, check = freeze.verify(_ws_root(args.workspace), args.label)
        if check.ok:
            console.print(f"[green]Photographie « {args.label} » intacte[/] : {check.verifies} empreintes vérifiées "
                          f"(fichiers de la photographie, {len(manifest['fichiers_entree'])} fichier(s) d'origine, "
                          "contenu de la table des indicateurs).")
            return EXIT_OK
        err.print(f"[red]Photographie « {args.label} » altérée ou incomplète :[/]")
        for p in check.problemes:
            err.print(f"  • {p}", style="red", markup=False)
        return EXIT_ERREUR
    elif args.action == "export":
        out = freeze.export(_ws_root(args.workspace), args.label, args.sortie.resolve())
        console.print(f"[green]Photographie « {out['label']} » exportée[/] : {out['fichier']} "
                      f"({out['membres']} fichiers, {out['taille'] / 1e6:.1f} Mo)")
    elif args.action == "import":
        m = freeze.import_(args.fichier.resolve(), _ws_root(args.workspace))
        console.print(f"[green]Photographie « {m['label']} » importée[/] : département {m['departement']}, "
                      f"{len(m['fichiers_entree'])} fichier(s) d'origine archivé(s), toutes empreintes vérifiées.")
    elif args.action == "replay":
        def show_plan(run_plan: Any) -> None:
            console.print(f"[bold]Rejeu de « {args.label} »[/] — exécution {run_plan.run_id}, département "
                          f"{run_plan.departement_label}, {len(run_plan.recognised)} fichier(s) archivé(s) remis "
                          f"dans {run_plan.inbox}")
            for path in run_plan.unknown:
                console.print(f"  [yellow]? {path.name} : fichier non reconnu par le code actuel (ignoré)[/]")

        console.print("Reconstruction depuis les seuls fichiers archivés (chaîne normale : validation, "
                      "construction, publication dans l'espace neuf)…")
        r = replay.replay(args.label, args.workspace.resolve(), args.depuis.resolve() if args.depuis else None,
                          on_plan=show_plan)
        if r.identique:
            console.print(f"[green]Rejeu identique[/] : « {r.label} », département {r.departement}, "
                          f"{r.lignes_rejeu} lignes, empreinte {r.empreinte_rejeu}")
            return EXIT_OK
        err.print(f"[red]Rejeu différent de la photographie « {r.label} »[/] : {r.lignes_t0} lignes au T0, "
                  f"{r.lignes_rejeu} au rejeu ; empreinte {r.empreinte_t0[:16]}… (T0) → {r.empreinte_rejeu[:16]}… "
                  "(rejeu)")
        for line in r.differences[:replay.MAX_LISTED]:
            err.print(f"  • {line}", style="red", markup=False)
        if len(r.differences) > replay.MAX_LISTED:
            err.print(f"  … et {len(r.differences) - replay.MAX_LISTED} autre(s) différence(s)")
        err.print("Causes possibles : " + ("; ".join(r.causes) if r.causes else
                                           "même code, mêmes dépendances et mêmes paramètres : à examiner"))
        return EXIT_ERREUR
    return EXIT_OK


__all__ = ["SnapshotError", "add_parser", "command"]
