"""Synthetic DEFM files in the layout read by `ingestion.readers.france_travail` (demo only: fictitious values).

Quarters 2023-T4 → 2025-T4 by EPCI (national) and 2025 by commune of the diagnostic département; counts rounded
to the ten, `s` below 10, F and G `so` before 2025; the 2025 break (automatic registration of BRSA and young
people in parcours) inflates A but not the « hors BRSA et jeunes en parcours » series.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from demo.synthetic.context import DemoContext

TRIMESTRES = [f"{y}T{q}" for y in (2023, 2024, 2025) for q in (1, 2, 3, 4)][3:]


def _cell(x: float) -> str:
    r = int(round(x / 10.0) * 10)
    return "s" if x < 10 else str(r)


def synthetic_defm(codes: list[str], noms: list[str], pops: np.ndarray, type_zone: str, trimestres: list[str],
                   seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = pops * np.clip(rng.normal(0.065, 0.015, len(pops)), 0.02, 0.15)
    rows = []
    for t_index, trim in enumerate(trimestres):
        year = int(trim[:4])
        trend = 1 + 0.004 * t_index + rng.normal(0, 0.01, len(pops))
        hors = base * trend
        abc = hors * (1.12 if year >= 2025 else 1.0)  # BRSA and CEJ/PACEA registrants from 2025
        a = abc * (0.58 if year >= 2025 else 0.55)  # new registrants count in A until their contract
        b = abc * 0.15
        c = abc - a - b
        f = abc * 0.01
        g = abc * 0.06
        for i, code in enumerate(codes):
            cells = {"TYPE_ZONE": type_zone, "CODE_ZONE": code, "LIBELLE_ZONE": noms[i], "TRIMESTRE": trim}
            ra, rb, rc = (int(round(x / 10.0) * 10) for x in (a[i], b[i], c[i]))
            cells.update({"DEFM_A": _cell(a[i]), "DEFM_B": _cell(b[i]), "DEFM_C": _cell(c[i]),
                          "DEFM_ABC": "s" if abc[i] < 10 else str(ra + rb + rc)})
            cells["DEFM_F"] = _cell(f[i]) if year >= 2025 else "so"
            cells["DEFM_G"] = _cell(g[i]) if year >= 2025 else "so"
            hors_i = min(hors[i], ra + rb + rc)
            cells["DEFM_ABC_HORS_BRSA_JP"] = _cell(hors_i) if hors_i >= 10 else "s"
            rows.append(cells)
    return pd.DataFrame(rows)


def demo_france_travail(ctx: DemoContext) -> list[str]:
    pop_by_epci: dict[str, float] = {}
    for code, pop in zip(ctx.communes["code"], ctx.communes["population"].fillna(0), strict=True):
        e = ctx.epci_of.get(code)
        if e:
            pop_by_epci[e] = pop_by_epci.get(e, 0) + pop
    epci = ctx.epci[ctx.epci["code"].isin(pop_by_epci)]
    frame = synthetic_defm(list(epci["code"]), list(epci["nom"]),
                           np.array([pop_by_epci[c] for c in epci["code"]]), "EPCI", TRIMESTRES, seed=2025)
    frame.to_csv(ctx.inbox / "defm_epci.csv", sep=";", index=False, lineterminator="\n")
    dep = ctx.communes[ctx.communes["departement"] == ctx.departement]
    com = synthetic_defm(list(dep["code"]), list(dep["nom"]), dep["population"].fillna(0).to_numpy(dtype=float),
                         "COM", [t for t in TRIMESTRES if t.startswith("2025")], seed=2026)
    com.to_csv(ctx.inbox / "defm_com_2025.csv", sep=";", index=False, lineterminator="\n")
    return ["defm_epci.csv", "defm_com_2025.csv"]
