"""Synthetic `ensemble.xlsx` (populations légales) in INSEE's layout: 7 title rows, then the header (demo only).

Populations municipales are those of the demo geography; « comptée à part » is drawn (1–3 %).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from demo.synthetic.context import DemoContext
from demo.synthetic.reproducible import freeze

RP, GEO = 2022, 2024


def _titres(niveau: str) -> list[list[str]]:
    return [[f"Populations de référence des {niveau} en vigueur au 1er janvier {RP + 3}"],
            [f"Mise à jour : décembre {RP + 2}"], ["en habitant"],
            ["Champ : France métropolitaine, départements d’outre-mer de la Guadeloupe, de la Guyane, de la Martinique "
             f"et de La Réunion, limites territoriales en vigueur au 1er janvier {GEO}"],
            [f"Date de référence statistique : 1er janvier {RP}"],
            ["Source :", f"Insee, Recensement de la population {RP}"], []]


def write_ensemble(communes: pd.DataFrame, target, seed: int = 2022) -> None:
    import openpyxl

    rng = np.random.default_rng(seed)
    # Collectivités d'outre-mer (975, 977, 978, 98x) have their own sheet in the real file: left out here.
    dep = communes["departement"].fillna("")
    frame = communes[(dep != "") & ~dep.str.match(r"^(?:97[5-8]|98)")].copy()
    frame["pmun"] = frame["population"].fillna(0).astype(int)
    frame["pcap"] = np.round(frame["pmun"] * rng.uniform(0.01, 0.03, len(frame))).astype(int)
    frame["ptot"] = frame["pmun"] + frame["pcap"]
    frame["region"] = frame["region"].fillna("")
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Régions")
    for row in _titres("régions"):
        ws.append(row)
    ws.append(["Code région", "Nom de la région", "Nombre d'arrondissements", "Nombre de cantons",
               "Nombre de communes", "Population municipale", "Population totale"])
    for reg, g in frame.groupby("region"):
        ws.append([reg, f"Région {reg}", None, None, len(g), int(g.pmun.sum()), int(g.ptot.sum())])
    ws = wb.create_sheet("Départements")
    for row in _titres("départements"):
        ws.append(row)
    ws.append(["Code région", "Nom de la région", "Code département", "Nom du département",
               "Nombre d'arrondissements", "Nombre de cantons", "Nombre de communes", "Population municipale",
               "Population totale"])
    for (reg, dep), g in frame.groupby(["region", "departement"]):
        ws.append([reg, f"Région {reg}", dep, f"Département {dep}", None, None, len(g), int(g.pmun.sum()),
                   int(g.ptot.sum())])
    ws = wb.create_sheet("Communes")
    for row in _titres("communes"):
        ws.append(row)
    ws.append(["Code région", "Nom de la région", "Code département", "Code arrondissement", "Code canton",
               "Code commune", "Nom de la commune", "Population municipale", "Population comptée à part",
               "Population totale"])
    for r in frame.itertuples():
        dep = str(r.departement)
        ws.append([r.region, f"Région {r.region}", dep, "1", "01", str(r.code)[2:], r.nom, int(r.pmun),
                   int(r.pcap), int(r.ptot)])
    ws = wb.create_sheet("Documentation")
    ws.append(["Fichier SYNTHÉTIQUE généré pour la démonstration (valeurs fictives)."])
    wb.save(target)
    freeze(target)


def demo_populations_legales(ctx: DemoContext) -> list[str]:
    write_ensemble(ctx.communes, ctx.inbox / "ensemble.xlsx")
    return ["ensemble.xlsx"]
