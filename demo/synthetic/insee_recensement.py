"""Synthetic INSEE base-cc files (recensement 2021) in the published layouts (demo only: values are fictitious).

csv files are `;`-separated with dot decimals (weighted estimates), `CODGEO` first; the logement base is
also written as xlsx (4 title rows, a row of French labels, then the code header on sheet `COM`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from demo.synthetic.context import DemoContext
from demo.synthetic.reproducible import freeze

MILLESIME = 2021


def synthetic_rp(communes: pd.DataFrame, seed: int = MILLESIME) -> pd.DataFrame:
    """Coherent counts per commune (sub-populations never exceed their totals)."""
    rng = np.random.default_rng(seed)
    n = len(communes)
    pop = communes["population"].fillna(0).to_numpy(dtype=float)
    v: dict[str, np.ndarray] = {"P_POP": pop}
    v["P_POP1564"] = pop * rng.uniform(0.55, 0.66, n)
    v["P_POP2064"] = v["P_POP1564"] * rng.uniform(0.88, 0.95, n)
    v["P_POP75P"] = pop * rng.uniform(0.06, 0.16, n)
    v["P_POP80P"] = v["P_POP75P"] * rng.uniform(0.55, 0.7, n)
    v["P_POP80P_PSEUL"] = v["P_POP80P"] * rng.uniform(0.3, 0.55, n)
    v["P_ACT1564"] = v["P_POP1564"] * rng.uniform(0.68, 0.8, n)
    v["P_CHOM1564"] = v["P_ACT1564"] * np.clip(rng.normal(0.11, 0.04, n), 0.02, 0.35)
    v["P_NSCOL15P"] = pop * rng.uniform(0.72, 0.82, n)
    v["P_NSCOL15P_DIPLMIN"] = v["P_NSCOL15P"] * np.clip(rng.normal(0.24, 0.06, n), 0.05, 0.6)
    v["P_MEN"] = pop / rng.uniform(2.0, 2.4, n)
    v["P_RP"] = v["P_MEN"]
    v["P_RP_PROP"] = v["P_RP"] * rng.uniform(0.35, 0.85, n)
    v["P_RP_LOC"] = (v["P_RP"] - v["P_RP_PROP"]) * rng.uniform(0.85, 0.98, n)
    v["P_RP_LOCHLMV"] = v["P_RP_LOC"] * rng.uniform(0.0, 0.5, n) * (pop > 2000)
    v["P_RP_VOIT1P"] = v["P_RP"] * np.clip(rng.normal(0.86, 0.06, n) - 0.1 * (pop > 50000), 0.4, 0.99)
    v["C_RP_HSTU1P"] = v["P_RP"] * rng.uniform(0.93, 0.99, n)
    v["C_RP_HSTU1P_SUROCC"] = v["C_RP_HSTU1P"] * np.clip(rng.normal(0.04, 0.02, n) + 0.05 * (pop > 50000), 0, 0.3)
    v["C_MEN"] = v["P_MEN"]
    v["C_MENPSEUL"] = v["C_MEN"] * rng.uniform(0.25, 0.45, n)
    v["C_FAM"] = v["C_MEN"] * rng.uniform(0.55, 0.7, n)
    v["C_FAMMONO"] = v["C_FAM"] * np.clip(rng.normal(0.15, 0.05, n), 0.02, 0.4)
    v["C_COUPAENF"] = (v["C_FAM"] - v["C_FAMMONO"]) * rng.uniform(0.4, 0.6, n)
    frame = pd.DataFrame({k: np.round(a, 4) for k, a in v.items()})
    frame.insert(0, "CODGEO", communes["code"].to_numpy())
    frame["LIBGEO"] = communes["nom"].to_numpy()
    return frame


BASES = {
    "evol-struct-pop": ["P_POP", "P_POP1564", "P_POP2064", "P_POP75P", "P_POP80P"],
    "couples-familles-menages": ["C_MEN", "C_MENPSEUL", "C_FAM", "C_FAMMONO", "C_COUPAENF", "P_POP80P",
                                 "P_POP80P_PSEUL"],
    "diplomes-formation": ["P_NSCOL15P", "P_NSCOL15P_DIPLMIN"],
    "emploi-pop-active": ["P_POP1564", "P_ACT1564", "P_CHOM1564"],
    "logement": ["P_RP", "P_RP_PROP", "P_RP_LOC", "P_RP_LOCHLMV", "P_MEN", "P_RP_VOIT1P", "C_RP_HSTU1P",
                 "C_RP_HSTU1P_SUROCC"],
}


def _published(name: str, yy: str) -> str:
    return f"{name[0]}{yy}{name[1:]}"


def write_xlsx(frame: pd.DataFrame, columns: list[str], target, yy: str) -> None:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("COM")
    ws.append([f"Logement en 20{yy} - Recensement de la population - Base communale (DONNÉES SYNTHÉTIQUES)"])
    ws.append([f"Géographie au 01/01/{2000 + int(yy) + 3}"])
    ws.append(["Source : Insee, RP, exploitations principale et complémentaire"])
    ws.append([])
    ws.append(["Code géographique", "Région", "Département", "Libellé géographique", *columns])
    ws.append(["CODGEO", "REG", "DEP", "LIBGEO", *[_published(c, yy) for c in columns]])
    for row in frame[["CODGEO", "REG", "DEP", "LIBGEO", *columns]].itertuples(index=False):
        ws.append([str(row[0]), row[1], row[2], row[3], *[float(x) for x in row[4:]]])
    wb.save(target)
    freeze(target)


def demo_recensement(ctx: DemoContext) -> list[str]:
    yy = f"{MILLESIME % 100:02d}"
    frame = synthetic_rp(ctx.communes)
    frame["REG"] = ctx.communes["region"].fillna("").to_numpy()
    frame["DEP"] = ctx.communes["departement"].fillna("").to_numpy()
    written = []
    for base, columns in BASES.items():
        if base == "logement":
            # The xlsx base is national too; only the diagnostic département is written to keep the demo fast.
            sub = frame[frame["DEP"] == ctx.departement]
            name = f"base-cc-{base}-{MILLESIME}.xlsx"
            write_xlsx(sub, columns, ctx.inbox / name, yy)
        else:
            name = f"base-cc-{base}-{MILLESIME}.csv"
            out = frame[["CODGEO", *columns]].rename(columns={c: _published(c, yy) for c in columns})
            out.to_csv(ctx.inbox / name, sep=";", index=False, lineterminator="\n")
        written.append(name)
    return written
