"""`bin/pacte template fiches-actions --departement DD [--t0 LABEL]`: one sheet per piste the comité retained or
amended (marts.pistes, read-only), pre-filled for the fiche action: intitulé, axe, pilote, co-porteurs (acteur
associé), territoire (EPCI concernés), financement (part État, cofinancement 50 %), indicateurs de réalisation
(annual targets 2024-2027, to fill) and indicateurs de résultat (the piste's need indicators of the catalogue,
with their T0 value and millésime for the département, and the cible 2027 to fill).

The T0 comes from the named frozen snapshot (`t0/<LABEL>/indicateurs_t0.parquet`, never modified) when `--t0`
is given, else from the published build (marts.indicateurs_t0); each fiche says which.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import duckdb

from ingestion.errors import PacteError
from ingestion.fiches_template import ANNEES, CATALOGUE, FICHE, LIGNES_REALISATION, REALISATION, RESULTAT
from ingestion.pistes_template import PISTES_SEED
from warehouse.dbt_runner import DBT_PROJECT
from warehouse.livrables.pistes import served_file
from warehouse.workspace import Workspace


def unit_decimals() -> dict[str, int]:
    """Unit → decimals its values are shown with (seed ref_unites)."""
    with (DBT_PROJECT / "seeds" / "ref_unites.csv").open(encoding="utf-8", newline="") as fh:
        return {r["unite"]: int(r["decimales"]) for r in csv.DictReader(fh)}


def _catalogue() -> dict[str, dict[str, str]]:
    with (DBT_PROJECT / "seeds" / "ref_indicateurs.csv").open(encoding="utf-8", newline="") as fh:
        return {r["indicateur_id"]: r for r in csv.DictReader(fh)}


def _indicateurs_piste() -> dict[str, list[str]]:
    with PISTES_SEED.open(encoding="utf-8", newline="") as fh:
        return {r["piste_id"]: [i.strip() for i in r["indicateurs_besoin"].split(";")] for r in csv.DictReader(fh)}


T0_REQUETE = ("select indicateur_id, valeur, millesime_periode, statut_libelle from {table} "
              "where niveau = 'departement' and code_territoire = $dep and est_dernier_millesime")


def valeurs_photographie(ws_root: Path, departement: str, label: str) -> tuple[dict[str, tuple], str]:
    """indicateur_id → (valeur, millésime, statut) of the département's latest millésime in a frozen snapshot,
    and its French description."""
    from warehouse.t0.manifest import load

    folder, manifest = load(ws_root, label)
    with duckdb.connect() as con:
        table = f"read_parquet('{folder / 'indicateurs_t0.parquet'}')"
        rows = con.execute(T0_REQUETE.format(table=table), {"dep": departement}).fetchall()
    if not rows:
        raise PacteError(f"Aucune valeur T0 pour le département {departement} dans la photographie {label}.")
    origine = f"photographie {label} (figée le {manifest.get('cree_le', '—')}, version {manifest.get('build_id', '—')})"
    return {r[0]: r[1:] for r in rows}, origine


def valeurs_t0(ws_root: Path, served: Path, departement: str, label: str | None) -> tuple[dict[str, tuple], str]:
    """indicateur_id → (valeur, millésime, statut) of the département's latest millésime, from the named
    snapshot, else from the published build, and where it comes from (French)."""
    if label:
        return valeurs_photographie(ws_root, departement, label)
    with duckdb.connect(str(served), read_only=True) as con:
        rows = con.execute(T0_REQUETE.format(table="marts.indicateurs_t0"), {"dep": departement}).fetchall()
        build_id = con.execute("select build_id from construction.parametres").fetchone()[0]
    if not rows:
        raise PacteError(f"Aucune valeur T0 pour le département {departement} dans l'entrepôt publié.")
    return {r[0]: r[1:] for r in rows}, f"construction publiée {build_id} (aucune photographie T0 nommée)"


def pistes_retenues(served: Path, departement: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(served), read_only=True) as con:
        cur = con.execute("select * from marts.pistes where code_departement = $dep "
                          "and decision in ('retenue', 'amendée') order by axe, rang", {"dep": departement})
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    if not rows:
        raise PacteError(f"Aucune piste retenue ou amendée par le comité pour le département {departement} : "
                         "remplissez le classeur « bin/pacte template pistes » et déposez-le dans le dépôt.")
    return rows


def generer(sortie: Path, departement: str, pistes: list[dict[str, Any]], t0: dict[str, tuple],
            origine: str) -> list[str]:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    catalogue, indicateurs = _catalogue(), _indicateurs_piste()
    titre, saisie = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="FFF2CC")
    bleu = PatternFill("solid", fgColor="1F4E79")
    wb = Workbook()
    lisez = wb.active
    lisez.title = "Lisez-moi"
    for row in ([f"Fiches actions du pacte local des solidarités — département {departement}"], [],
                ["Une feuille par piste retenue ou amendée par le comité (marts.pistes)."],
                ["Cellules jaunes : à remplir (pilote, financement, indicateurs de réalisation et cibles annuelles, "
                 "cible 2027 des indicateurs de résultat)."],
                [f"Valeurs T0 : {origine}."],
                ["Indicateurs de résultat : choisis dans le catalogue de l'entrepôt (liste déroulante) ; leur T0 "
                 "est la valeur du département au dernier millésime."]):
        lisez.append(row)
    lisez["A1"].font = Font(bold=True, size=14)
    lisez.column_dimensions["A"].width = 120
    listes = wb.create_sheet(CATALOGUE)
    for i, code in enumerate(sorted(catalogue), start=1):
        listes.cell(row=i, column=1, value=code)
    listes.sheet_state = "hidden"
    feuilles = []
    for p in pistes:
        ws = wb.create_sheet(str(p["piste_id"]))
        feuilles.append(ws.title)
        ws.column_dimensions["A"].width = 42
        for letter in "BCDEFGHI":
            ws.column_dimensions[letter].width = 18
        ws.column_dimensions["B"].width = 60
        ws.append(["Fiche action", str(p["intitule"])])
        ws["A1"].font = Font(bold=True, size=13)
        for label, col in FICHE:
            ws.append([label, p.get(col) if col else None])
            cell = ws.cell(row=ws.max_row, column=2)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if col is None:
                cell.fill = saisie
        ws.append([])
        ws.append([REALISATION, "Unité", *[f"Cible {a}" for a in ANNEES]])
        for cell in ws[ws.max_row]:
            cell.font, cell.fill = titre, bleu
        for _ in range(LIGNES_REALISATION):
            ws.append([None] * (2 + len(ANNEES)))
            for cell in ws[ws.max_row]:
                cell.fill = saisie
        ws.append([])
        ws.append(RESULTAT)
        for cell in ws[ws.max_row]:
            cell.font, cell.fill = titre, bleu
        debut = ws.max_row + 1
        for code in indicateurs.get(str(p["piste_id"]), []):
            valeur, millesime, statut = t0.get(code, (None, None, "absent de la source"))
            ws.append([code, catalogue[code]["libelle"], catalogue[code]["unite"], f"département {departement}",
                       valeur, millesime, statut, origine, None])
            ws.cell(row=ws.max_row, column=len(RESULTAT)).fill = saisie
        dv = DataValidation(type="list", formula1=f"={CATALOGUE}!$A$1:$A${len(catalogue)}", allow_blank=True,
                            showErrorMessage=True, errorTitle="Indicateur inconnu",
                            error="Choisissez un indicateur du catalogue de l'entrepôt.")
        dv.add(f"A{debut}:A{debut + 9}")
        ws.add_data_validation(dv)
    sortie.parent.mkdir(parents=True, exist_ok=True)
    wb.save(sortie)
    return feuilles


def command(args: Any, console: Any) -> int:
    """`bin/pacte template fiches-actions --departement DD [--t0 LABEL] [--sortie F] [--workspace W]`."""
    from ingestion.reference import departement_error

    if not args.departement or departement_error(args.departement):
        raise PacteError("Indiquez le département : --departement DD (ex. 16).")
    ws = Workspace.at(args.workspace)
    served = served_file(ws)
    sortie = args.sortie or Path(f"fiches_actions_{args.departement}.xlsx")
    t0, origine = valeurs_t0(ws.root, served, args.departement, args.t0)
    feuilles = generer(sortie, args.departement, pistes_retenues(served, args.departement), t0, origine)
    console.print(f"[green]Fiches actions écrites[/] : {sortie} — {len(feuilles)} fiche(s) : {', '.join(feuilles)} "
                  f"— valeurs T0 : {origine}.")
    return 0
