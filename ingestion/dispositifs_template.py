"""`bin/pacte template dispositifs`: the Excel template of the « tableau synthétique des dispositifs ».

French headers, drop-down lists (hidden sheet `Listes`) for porteur, mode de financement, axe, thématique
(data·inclusion v1), couverture territoriale and EPCI. The EPCI list comes from the published marts of the
workspace. Filled workbooks are read back by
`ingestion.readers.dispositifs`.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from ingestion.errors import PacteError

FEUILLE = "Dispositifs"
FEUILLE_LISTES = "Listes"
# (header, landing column, width); the order is the template's.
COLONNES = [
    ("Intitulé du dispositif", "intitule", 40),
    ("Porteur principal", "porteur", 28),
    ("Co-porteurs", "co_porteurs", 28),
    ("Mode de financement", "mode_financement", 28),
    ("Public visé", "public_vise", 28),
    ("Axe du Pacte", "axe", 45),
    ("Thématique", "thematique", 55),
    ("Couverture territoriale", "couverture", 24),
    ("EPCI", "epci", 45),
    ("Territoire couvert (codes communes ou EPCI, séparés par des virgules)", "territoire", 40),
    ("Difficultés rencontrées", "difficultes", 45),
    ("Pistes de développement ou d'articulation", "pistes", 45),
    ("Source", "source_info", 30),
]
# The axes of the Pacte: dbt's seed is the one list (axe, libelle_axe « Axe N — … », ordre); the template offers
# the four numbered axes as « N — … » (the reader keeps N).
AXES_SEED = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "ref_axes.csv"


def _axes() -> list[str]:
    with AXES_SEED.open(encoding="utf-8", newline="") as fh:
        rows = sorted((r for r in csv.DictReader(fh) if r["axe"].isdigit()), key=lambda r: int(r["ordre"]))
    return [f"{r['axe']} — {r['libelle_axe'].split(' — ', 1)[1]}" for r in rows]


AXES = _axes()
PORTEURS = ["Conseil départemental", "État (DDETS)", "CAF", "France Travail", "ARS", "MSA", "CPAM",
            "Commune / CCAS", "EPCI / CIAS", "Mission locale", "Association", "Autre"]
FINANCEMENTS = ["Pacte des solidarités (État 50 %, département 50 %)", "État", "Conseil départemental", "CAF",
                "France Travail", "Fonds européens (FSE+)", "Commune / EPCI", "Autofinancement", "Autre"]
COUVERTURES = ["Départementale", "Intercommunale (EPCI)", "Communale", "Quartier prioritaire (QPV)"]
LIGNES_VIDES = 200  # rows prepared with drop-down lists


def thematiques() -> list[str]:
    from ingestion.taxonomies import valeurs

    return sorted(valeurs("v1", "thematiques"))


def epci_du_departement(workspace: Path | None, departement: str | None) -> list[str]:
    """« SIREN — nom » of the EPCI of the département (every EPCI of the diagnostic when none is given), read
    from the workspace's published marts: `geo_epci` (with contours) and `besoins_epci` (every EPCI of the
    diagnostic, contours or not)."""
    if workspace is None:
        return []
    served = workspace / "serving" / "pacte.duckdb"
    if not served.exists():
        return []
    where = "where code_departement = $dep" if departement else ""
    params = {"dep": departement} if departement else {}
    with duckdb.connect(str(served), read_only=True) as con:
        rows = con.execute(f"""
            select code_epci, min(libelle) from (
                select code_epci, libelle from marts.geo_epci {where}
                union all select code_epci, libelle from marts.besoins_epci {where})
            group by code_epci order by code_epci""", params).fetchall()
    return [f"{c} — {n}" for c, n in rows]


def generer(sortie: Path, epci: list[str]) -> dict[str, int]:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    listes = {"Porteur principal": PORTEURS, "Mode de financement": FINANCEMENTS, "Axe du Pacte": AXES,
              "Thématique": thematiques(), "Couverture territoriale": COUVERTURES,
              "EPCI": epci}
    if not listes["EPCI"]:
        raise PacteError("Aucun EPCI connu pour construire la liste déroulante : publiez d'abord l'entrepôt "
                          "(bin/pacte run) ou indiquez --workspace vers un espace contenant la géographie.")
    wb = Workbook()
    ws = wb.active
    ws.title = FEUILLE
    ref = wb.create_sheet(FEUILLE_LISTES)
    for j, (header, _, width) in enumerate(COLONNES, start=1):
        cell = ws.cell(row=1, column=j, value=header)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[cell.column_letter].width = width
    ws.freeze_panes = "A2"
    headers = [h for h, _, _ in COLONNES]
    for k, (header, values) in enumerate(listes.items(), start=1):
        ref.cell(row=1, column=k, value=header)
        for i, v in enumerate(values, start=2):
            ref.cell(row=i, column=k, value=v)
        letter = ref.cell(row=1, column=k).column_letter
        dv = DataValidation(type="list", formula1=f"={FEUILLE_LISTES}!${letter}$2:${letter}${len(values) + 1}",
                            allow_blank=True, showErrorMessage=True, errorTitle="Valeur non prévue",
                            error=f"Choisissez une valeur de la liste « {header} ».")
        col = ws.cell(row=1, column=headers.index(header) + 1).column_letter
        dv.add(f"{col}2:{col}{LIGNES_VIDES + 1}")
        ws.add_data_validation(dv)
    ref.sheet_state = "hidden"
    sortie.parent.mkdir(parents=True, exist_ok=True)
    wb.save(sortie)
    return {k: len(v) for k, v in listes.items()}
