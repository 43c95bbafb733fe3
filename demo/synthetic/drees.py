"""Synthetic DREES « indicateurs sociaux départementaux » workbook (demo only: fictitious values).

One sheet per indicator: 3 title rows, a blank row, then `Code | Département | 2019 … 2023`; rows for every
département of the demo geography, then France métropolitaine (FM) and France entière (FE).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from demo.synthetic.context import DemoContext
from demo.synthetic.reproducible import freeze

ANNEES = [2019, 2020, 2021, 2022, 2023]
# sheet → (title, rate per inhabitant of the reference population, reference share of the population)
INDICATEURS = {
    "BENEF_RSA": ("Nombre de bénéficiaires du RSA (droits ouverts) au 31 décembre", 0.033, None),
    "TAUX_RSA": ("Part des bénéficiaires du RSA pour 100 habitants de 15 à 64 ans", 0.055, "taux"),
    "BENEF_APA": ("Nombre de bénéficiaires de l'APA au 31 décembre", 0.02, None),
    "TAUX_APA": ("Bénéficiaires de l'APA pour 100 personnes de 75 ans ou plus", 0.2, "taux"),
    "BENEF_AAH": ("Nombre d'allocataires de l'AAH au 31 décembre", 0.019, None),
    "TAUX_AAH": ("Allocataires de l'AAH pour 100 personnes de 20 à 64 ans", 0.033, "taux"),
}


def write_isd(communes: pd.DataFrame, target, seed: int = 2023) -> None:
    import openpyxl

    rng = np.random.default_rng(seed)
    dep = communes[communes["departement"].fillna("").str.match(r"^(?:\d{2}|2[AB]|97[1-46])$")]
    pops = dep.groupby("departement")["population"].sum()
    wb = openpyxl.Workbook(write_only=True)
    for sheet, (title, rate, kind) in INDICATEURS.items():
        ws = wb.create_sheet(sheet)
        ws.append([title])
        ws.append(["Source : DREES, enquête Aide sociale ; Insee, estimations de population — DONNÉES SYNTHÉTIQUES"])
        ws.append(["Champ : France (hors Mayotte)"])
        ws.append([])
        ws.append(["Code", "Département", *[str(a) for a in ANNEES]])
        effect = rng.normal(1, 0.25, len(pops)).clip(0.4, 2.2)
        values = {}
        for i, (code, pop) in enumerate(pops.items()):
            series = [rate * effect[i] * (1 + 0.01 * k) * (100 if kind else pop) for k in range(len(ANNEES))]
            values[code] = series
            ws.append([code, f"Département {code}", *[round(v, 1) if kind else int(v) for v in series]])
        for code, label in (("FM", "France métropolitaine"), ("FE", "France entière")):
            keep = [c for c in values if (not c.startswith("97")) or code == "FE"]
            agg = np.array([values[c] for c in keep])
            w = np.array([pops[c] for c in keep])[:, None]
            total = (agg * w).sum(0) / w.sum() if kind else agg.sum(0)
            ws.append([code, label, *[round(v, 1) if kind else int(v) for v in total]])
    wb.save(target)
    freeze(target)


def demo_drees(ctx: DemoContext) -> list[str]:
    name = "drees_isd_2023.xlsx"
    write_isd(ctx.communes, ctx.inbox / name)
    return [name]
