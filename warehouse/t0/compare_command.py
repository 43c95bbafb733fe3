"""`bin/pacte compare --t0 LABEL --departement DD [--avec LABEL2] [--excel FICHIER]`: record the comparison,
rebuild and publish (marts.comparaison_t0), then print a French summary of the statuses."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console

from warehouse.t0 import comparaison
from warehouse.t0.manifest import SnapshotError
from warehouse.workspace import DEFAULT_WORKSPACE, Workspace

EXIT_OK, EXIT_ERREUR = 0, 1


def add_parser(sub: Any) -> None:
    p = sub.add_parser("compare", add_help=False,
                       help="comparer une photographie T0 à la version publiée (ou à une autre photographie)")
    p.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")
    p.add_argument("--t0", required=True, help="libellé de la photographie T0, ex. T0-2024")
    p.add_argument("--departement", required=True, help="code du département, ex. 16")
    p.add_argument("--avec", help="libellé d'une autre photographie (par défaut : la version publiée)")
    p.add_argument("--workspace", type=Path, help=f"espace de travail (par défaut : {DEFAULT_WORKSPACE})")
    p.add_argument("--excel", type=Path, metavar="FICHIER",
                   help="écrire aussi un classeur Excel pour le comité (une feuille par axe)")


def _published_departements(ws: Workspace) -> list[str]:
    if not ws.served_db.exists():
        return []
    with duckdb.connect(str(ws.served_db), read_only=True) as con:
        return [r[0] for r in con.execute("SELECT code_departement FROM construction.departements "
                                          "ORDER BY 1").fetchall()]


def compare(workspace_root: Path, label: str, departement: str, avec: str | None = None) -> dict[str, Any]:
    """Check, record, rebuild and publish; returns the publication and the statuses of the comparison.
    A refused comparison leaves the index and the served version as they were; a failed build takes the
    comparison back out of the index."""
    from ingestion import reference
    from warehouse import plan, run

    codes = plan.parse_departements(departement)  # « 2a » → 2A; a French error for a code that is none
    if len(codes) != 1 or codes == [reference.TOUS]:
        raise SnapshotError(f"Une comparaison porte sur un seul département (reçu : « {departement} »).")
    departement = codes[0]
    ws = Workspace.at(workspace_root)
    if not ws.served_db.exists():
        raise SnapshotError(f"Aucune version publiée dans {ws.root} : lancez d'abord bin/pacte run.")
    comparaison.check(ws.root, label, departement, avec, _published_departements(ws))
    added: list[bool] = []
    try:
        publication = run.rebuild(ws, lambda: added.append(comparaison.record(ws.root, label, departement, avec)))
    except BaseException:
        if any(added):
            comparaison.forget(ws.root, label, departement, avec)
        raise
    return {"publication": publication, "statuts": statuses(ws, label, departement, avec),
            "geographie": geography(ws, label, departement, avec)}


def statuses(ws: Workspace, label: str, departement: str, avec: str | None) -> dict[str, int]:
    with duckdb.connect(str(ws.served_db), read_only=True) as con:
        rows = con.execute("SELECT statut_comparabilite, count(*) FROM marts.comparaison_t0 WHERE label_t0 = ? "
                           "AND code_departement = ? AND comparee_a = ? GROUP BY 1 ORDER BY 1",
                           [label, departement, avec or "version publiée"]).fetchall()
    return dict(rows)


def geography(ws: Workspace, label: str, departement: str, avec: str | None) -> dict[str, Any]:
    """Territories whose perimeter changed, and the T0 commune codes that match no T+3 commune."""
    with duckdb.connect(str(ws.served_db), read_only=True) as con:
        changed, non_rattachees, codes = con.execute(
            "SELECT count(DISTINCT code_territoire) FILTER (WHERE perimetre_modifie), "
            "coalesce(max(communes_t0_non_rattachees), 0), max(codes_t0_non_rattaches) FROM marts.comparaison_t0 "
            "WHERE label_t0 = ? AND code_departement = ? AND comparee_a = ?",
            [label, departement, avec or "version publiée"]).fetchone()
    return {"perimetres_modifies": changed, "communes_t0_non_rattachees": non_rattachees, "codes": codes}


def command(args: argparse.Namespace, console: Console, err: Console) -> int:
    try:
        result = compare(Workspace.at(args.workspace).root, args.t0, args.departement, args.avec)
    except SnapshotError as exc:
        err.print(f"[red]Erreur : {exc}[/]")
        return EXIT_ERREUR
    pub = result["publication"]
    cible = f"photographie « {args.avec} »" if args.avec else f"version publiée {pub.get('version')}"
    total = sum(result["statuts"].values())
    console.print(f"[green]Comparaison publiée[/] : T0 « {args.t0} » et {cible}, département {args.departement} "
                  f"— {total} ligne(s) dans marts.comparaison_t0")
    for statut, n in result["statuts"].items():
        console.print(f"  {statut} : {n}")
    geo = result["geographie"]
    console.print(f"  territoire(s) au périmètre modifié entre les deux COG : {geo['perimetres_modifies']}")
    if geo["communes_t0_non_rattachees"]:
        err.print(f"[yellow]{geo['communes_t0_non_rattachees']} code(s) commune du T0 sans commune au T+3 (même par "
                  f"la table de passage) : {geo['codes']} — comptés dans chaque ligne "
                  "(communes_t0_non_rattachees).[/]")
    if args.excel:
        from warehouse.t0 import classeur

        ws = Workspace.at(args.workspace)
        rows = classeur.rows_of(ws.served_db, args.t0, args.departement, args.avec or "version publiée")
        titre = (f"Suivi à mi-parcours — département {args.departement} : T0 « {args.t0} » comparé à "
                 f"{cible}")
        counts = classeur.write(rows, args.excel, titre)
        console.print(f"[green]Classeur écrit[/] : {args.excel} — "
                      + ", ".join(f"{name} ({n})" for name, n in counts.items()))
    return EXIT_OK
