"""Synthetic INSEE Filosofi files in the exact `cc_filosofi_AAAA_NIV` layout (demo only: values are fictitious).

Deterministic (fixed seeds), realistic ranges, INSEE's secrecy pattern (`s` for small communes),
comma decimals, LF line ends, no BOM, like the real 2021 file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from demo.synthetic.context import DemoContext

FILOSOFI_HEADER = ["NBMENFISC", "NBPERSMENFISC", "MED", "PIMP", "TP60", "TP60AGE1", "TP60AGE2", "TP60AGE3",
                   "TP60AGE4", "TP60AGE5", "TP60AGE6", "TP60TOL1", "TP60TOL2", "PACT", "PTSA", "PCHO", "PBEN",
                   "PPEN", "PPAT", "PPSOC", "PPFAM", "PPMINI", "PPLOGT", "PIMPOT", "D1", "D9", "RD"]
AGE_FACTORS = (1.6, 1.3, 1.2, 1.0, 0.7, 0.75)


def _fmt(values: np.ndarray, decimals: int) -> list[str]:
    return [f"{v:.{decimals}f}".replace(".", ",") for v in values]


def synthetic_filosofi(communes: pd.DataFrame, epci_of: dict[str, str], millesime: int, seed: int
                       ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Commune, EPCI and département files in the `cc_filosofi_AAAA_NIV` layout; plausible, not real."""
    rng = np.random.default_rng(seed)
    pop = communes["population"].fillna(0).to_numpy(dtype=float)
    codes = communes["code"].to_numpy()
    epcis = np.array([epci_of.get(c, "") for c in codes])
    deps = communes["departement"].to_numpy()
    epci_effect = {e: rng.normal(0, 3) for e in sorted(set(epcis))}
    dep_effect = {d: rng.normal(0, 2) for d in sorted(set(deps))}
    nbpers = np.maximum(np.round(pop * rng.uniform(0.93, 0.99, len(pop))), 1)
    nbmen = np.maximum(np.round(nbpers / rng.uniform(2.0, 2.4, len(pop))), 1)
    urban = 4.0 * (pop > 20000)
    tp60 = np.clip(13 + np.array([epci_effect[e] for e in epcis]) + np.array([dep_effect[d] for d in deps])
                   + urban + rng.normal(0, 3, len(pop)) + (millesime - 2021) * 0.3, 3, 45).round(0)
    med = np.round(22500 - 250 * (tp60 - 13) + rng.normal(0, 800, len(pop)), -1)
    values: dict[str, np.ndarray] = {"NBMENFISC": nbmen, "NBPERSMENFISC": nbpers, "MED": med,
                                     "PIMP": np.clip(50 - (tp60 - 13) * 1.5 + rng.normal(0, 4, len(pop)), 5, 95),
                                     "TP60": tp60}
    for i, factor in enumerate(AGE_FACTORS, start=1):
        values[f"TP60AGE{i}"] = np.clip(tp60 * factor + rng.normal(0, 2, len(pop)), 1, 95).round(0)
    values["TP60TOL1"] = np.clip(tp60 * 0.4, 1, 95).round(0)
    values["TP60TOL2"] = np.clip(tp60 * 2.0, 1, 95).round(0)
    shares = {"PACT": 70, "PTSA": 60, "PCHO": 3, "PBEN": 5, "PPEN": 28, "PPAT": 8, "PPSOC": 7, "PPFAM": 2,
              "PPMINI": 2, "PPLOGT": 2, "PIMPOT": -15}
    for name, base in shares.items():
        drift = 0.3 * (tp60 - 13) if name in {"PPSOC", "PPMINI", "PPLOGT"} else 0
        values[name] = (base + drift + rng.normal(0, abs(base) * 0.08 + 0.3, len(pop))).round(1)
    values["D1"] = np.round(med * 0.5, -1)
    values["D9"] = np.round(med * 1.8 + rng.normal(0, 500, len(pop)), -1)
    values["RD"] = (values["D9"] / values["D1"]).round(1)

    yy = f"{millesime % 100:02d}"
    cells: dict[str, list[str]] = {"CODGEO": list(codes)}
    small = nbmen < 1000  # INSEE masks poverty rates and income structure of small communes
    tiny = nbmen < 50
    for name in FILOSOFI_HEADER:
        decimals = 0 if name in {"NBMENFISC", "NBPERSMENFISC", "MED", "D1", "D9"} else 1
        text = np.array(_fmt(values[name], decimals), dtype=object)
        if name not in {"NBMENFISC", "NBPERSMENFISC", "MED"}:
            text[small] = "s"
        if name.startswith(("TP60AGE", "TP60TOL")):
            text[(nbmen < 2000) | (rng.random(len(pop)) < 0.1)] = "s"
        if name == "MED":
            text[tiny] = "s"
        cells[f"{name}{yy}"] = list(text)
    commune_file = pd.DataFrame(cells)

    frame = pd.DataFrame(values)
    return commune_file, _aggregate(frame.assign(cle=epcis), yy), _aggregate(frame.assign(cle=deps), yy)


def _aggregate(frame: pd.DataFrame, yy: str) -> pd.DataFrame:
    """EPCI/département files: aggregates of the synthetic "true" values (no secrecy at that size).

    Weighted means stand in for medians and rates: fine for fictitious data, never done on real data.
    """
    frame = frame[frame.cle != ""]
    grouped = frame.groupby("cle")
    persons = grouped["NBPERSMENFISC"].sum().to_numpy()
    cells: dict[str, list[str]] = {"CODGEO": list(grouped.size().index)}
    for name in FILOSOFI_HEADER:
        if name in {"NBMENFISC", "NBPERSMENFISC"}:
            agg = grouped[name].sum().to_numpy()
        else:
            agg = (frame[name] * frame["NBPERSMENFISC"]).groupby(frame.cle).sum().to_numpy() / persons
        if name in {"MED", "D1", "D9"}:
            agg = np.round(agg, -1)
        decimals = 0 if name in {"NBMENFISC", "NBPERSMENFISC", "MED", "D1", "D9"} else 1
        cells[f"{name}{yy}"] = _fmt(agg, decimals)
    return pd.DataFrame(cells)


def demo_filosofi(ctx: DemoContext) -> list[str]:
    """Commune files for 2019 and 2021, EPCI and département files for 2021 (2019 stays commune-only,
    so its EPCI values are estimated from communes, as with real commune-only inputs)."""
    written: list[str] = []
    for millesime in (2019, 2021):
        com, epci, dep = synthetic_filosofi(ctx.communes, ctx.epci_of, millesime, seed=millesime)
        for level, frame in (("COM", com), ("EPCI", epci), ("DEP", dep)):
            if millesime == 2019 and level != "COM":
                continue
            name = f"cc_filosofi_{millesime}_{level}.csv"
            frame.to_csv(ctx.inbox / name, sep=";", index=False, lineterminator="\n")
            written.append(name)
    written.append(write_filosofi_long(ctx, 2023))
    return written


def synthetic_filosofi_long(communes: pd.DataFrame, epci_of: dict[str, str], millesime: int, seed: int
                            ) -> pd.DataFrame:
    """Filosofi 2023 long layout: MED_SL and PR_MD60 for COM and EPCI (poverty rate masked, CONF_STATUS=C,
    below ~2,000 households; OBS_STATUS=O for communes too small to publish anything), deciles at DEP/REG/FR."""
    com, epci, *_ = synthetic_filosofi(communes, epci_of, millesime, seed)
    yy = f"{millesime % 100:02d}"
    rows: list[list[str]] = []

    def add(measure: str, geo: str, objet: str, unit: str, value: str | None, conf: str = "F", obs: str = "A") -> None:
        rows.append([measure, geo, objet, unit, conf, obs, "0", str(millesime), "" if value is None else value])

    for objet, frame in (("COM", com), ("EPCI", epci)):
        for code, nbmen, med, tp in zip(frame["CODGEO"], frame[f"NBMENFISC{yy}"], frame[f"MED{yy}"],
                                        frame[f"TP60{yy}"], strict=True):
            big = objet == "EPCI" or float(nbmen.replace(",", ".")) >= 2000
            if med == "s":
                add("MED_SL", code, objet, "EUR_YR", None, obs="O")
            else:
                add("MED_SL", code, objet, "EUR_YR", med.replace(",", "."))
            if big and tp != "s":
                add("PR_MD60", code, objet, "PT", tp.replace(",", "."))
            else:
                add("PR_MD60", code, objet, "PT", None, conf="C")
    # Collectivités d'outre-mer (975, 977, 978, 98x) are outside Filosofi.
    dom_tom = communes["departement"].fillna("").str.match(r"^(?:97[5-8]|98)")
    for objet, key in (("DEP", "departement"), ("REG", "region")):
        for code in sorted(communes.loc[~dom_tom, key].dropna().unique()):
            add("MED_SL", code, objet, "EUR_YR", "22380")
            add("PR_MD60", code, objet, "PT", "14.6")
            add("D1_SL", code, objet, "EUR_YR", "12410")
            add("D9_SL", code, objet, "EUR_YR", "41560")
    add("MED_SL", "FRANCE", "FRANCE", "EUR_YR", "23160")
    add("PR_MD60", "FRANCE", "FRANCE", "PT", "15.4")
    return pd.DataFrame(rows, columns=["FILOSOFI_MEASURE", "GEO", "GEO_OBJECT", "UNIT_MEASURE", "CONF_STATUS",
                                       "OBS_STATUS", "UNIT_MULT", "TIME_PERIOD", "OBS_VALUE"])


def write_filosofi_long(ctx: DemoContext, millesime: int) -> str:
    """Melodi export style: `;`-separated, every field double-quoted, dot decimals."""
    import csv

    name = f"DS_FILOSOFI_CC_{millesime}_data.csv"
    frame = synthetic_filosofi_long(ctx.communes, ctx.epci_of, millesime, seed=millesime)
    frame.to_csv(ctx.inbox / name, sep=";", index=False, lineterminator="\n", quoting=csv.QUOTE_ALL)
    return name
