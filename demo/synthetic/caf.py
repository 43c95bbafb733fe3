"""Synthetic CAF files in the published layouts (demo only: values are fictitious).

- data_CAF_AAAA_IRIS.csv: IRIS of communes ≥ 5,000 inhabitants, `;`, CRLF, masked cells blank, NOTE flag;
- caf_com_allocataires_AAAA.csv / caf_epci_allocataires_AAAA.csv: legacy data.caf.fr columns, counts < 5 masked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from demo.synthetic.context import DemoContext
from ingestion.readers.caf import IRIS_COLONNES

MILLESIME = 2022
COMMUNE_VARIABLES = ["NB_allocataire_RSA", "RSA_SOCLE_non_Majore", "RSA_SOCLE_Majore", "Dont_RSA_jeune", "ALL_AAH",
                     "ALL_ASF", "ALL_PPA", "ALL_bas_revenu", "Pers_bas_revenu", "NB_allocataires_ress",
                     "NB_pers_couv_ress"]


def _counts(pop: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = len(pop)
    a = np.round(pop * rng.uniform(0.14, 0.24, n))
    v = {"A": a, "PERCOU": np.round(a * rng.uniform(2.0, 2.6, n))}
    v["AI"] = np.round(a * rng.uniform(0.3, 0.5, n))
    v["AM"] = np.round(a * rng.uniform(0.08, 0.16, n))
    v["ACSSENF"] = np.round(a * rng.uniform(0.03, 0.07, n))
    v["ACAVENF"] = np.round(a * rng.uniform(0.15, 0.25, n))
    v["AC3ENF"] = np.round(a * rng.uniform(0.03, 0.06, n))
    v["ENF"] = np.round(a * rng.uniform(0.7, 1.0, n))
    for name, share in (("ENF_2", 0.14), ("ENF_3_5", 0.13), ("ENF_6_10", 0.24), ("ENF_11_14", 0.19),
                        ("ENF_15_17", 0.13), ("ENF_18_24", 0.08)):
        v[name] = np.round(v["ENF"] * share * rng.uniform(0.85, 1.15, n))
    v["A_ETUD"] = np.round(a * rng.uniform(0.01, 0.2, n))
    v["A_NETUD_24"] = np.round(a * rng.uniform(0.03, 0.1, n))
    v["AAL"] = np.round(a * rng.uniform(0.3, 0.6, n))
    v["AAPL"] = np.round(v["AAL"] * rng.uniform(0.2, 0.8, n))
    v["AAAH"] = np.round(a * rng.uniform(0.05, 0.1, n))
    v["APPA"] = np.round(a * rng.uniform(0.2, 0.35, n))
    v["ARSAS"] = np.round(a * rng.uniform(0.08, 0.25, n))
    return v


def _mask(values: np.ndarray) -> list[str]:
    return ["" if x < 5 else str(int(x)) for x in values]


def synthetic_iris(communes: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    big = communes[communes["population"].fillna(0) >= 5000]
    rows = []
    for code, pop in zip(big["code"], big["population"], strict=True):
        n_iris = max(2, int(pop // 2500))
        weights = rng.dirichlet(np.ones(n_iris) * 4)
        for i, w in enumerate(weights):
            rows.append((f"{code}{(i // 9) + 1:02d}{(i % 9) + 1:02d}", pop * w))
    codes = [r[0] for r in rows]
    pops = np.array([r[1] for r in rows])
    counts = _counts(pops, rng)
    note = rng.choice(["0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "2", "3", "5"],
                      len(codes))
    out: dict[str, list[str]] = {"CODGEO": codes, "NOTE": list(note)}
    for col in IRIS_COLONNES[2:]:
        cells = _mask(counts[col])
        out[col] = ["" if note[i] in {"3", "5"} else c for i, c in enumerate(cells)]  # unreliable IRIS: all masked
    return pd.DataFrame(out)


def synthetic_territoires(communes: pd.DataFrame, epci_of: dict[str, str], seed: int
                          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    pop = communes["population"].fillna(0).to_numpy(dtype=float)
    n = len(pop)
    v: dict[str, np.ndarray] = {}
    v["NB_allocataire_RSA"] = np.round(pop * np.clip(rng.normal(0.03, 0.012, n), 0.003, 0.09))
    v["RSA_SOCLE_Majore"] = np.round(v["NB_allocataire_RSA"] * rng.uniform(0.08, 0.16, n))
    v["RSA_SOCLE_non_Majore"] = v["NB_allocataire_RSA"] - v["RSA_SOCLE_Majore"]
    v["Dont_RSA_jeune"] = np.round(v["NB_allocataire_RSA"] * rng.uniform(0.0, 0.02, n))
    v["ALL_AAH"] = np.round(pop * rng.uniform(0.01, 0.025, n))
    v["ALL_ASF"] = np.round(pop * rng.uniform(0.005, 0.015, n))
    v["ALL_PPA"] = np.round(pop * rng.uniform(0.03, 0.06, n))
    v["NB_allocataires_ress"] = np.round(pop * rng.uniform(0.12, 0.2, n))
    v["NB_pers_couv_ress"] = np.round(v["NB_allocataires_ress"] * rng.uniform(2.0, 2.6, n))
    v["ALL_bas_revenu"] = np.round(v["NB_allocataires_ress"] * np.clip(rng.normal(0.3, 0.08, n), 0.05, 0.7))
    v["Pers_bas_revenu"] = np.round(v["NB_pers_couv_ress"] * np.clip(rng.normal(0.25, 0.08, n), 0.05, 0.7))
    com = pd.DataFrame({"Communes": communes["nom"].str.upper().to_numpy(), "Codes_Insee": communes["code"].to_numpy()})
    for name in COMMUNE_VARIABLES:
        com[name] = _mask(v[name])
    com["DTREF"] = f"31/12/{MILLESIME}"
    frame = pd.DataFrame(v).assign(epci=[epci_of.get(c, "") for c in communes["code"]],
                                   dep=communes["departement"].to_numpy())
    frame = frame[frame.epci != ""]
    grouped = frame.groupby("epci")
    epci = pd.DataFrame({"NOMEPCI": [f"EPCI {e}" for e in grouped.size().index], "NUMEPCI": grouped.size().index,
                         "DEPSEPCI": grouped["dep"].agg(lambda d: ",".join(sorted(set(d)))).to_numpy(),
                         "DTREF": f"31/12/{MILLESIME}"})
    for name in COMMUNE_VARIABLES:
        epci[name] = _mask(grouped[name].sum().to_numpy())
    return com, epci


def demo_caf(ctx: DemoContext) -> list[str]:
    written = []
    for millesime in (2019, 2020):
        iris = synthetic_iris(ctx.communes, seed=millesime)
        name = f"data_CAF_{millesime}_IRIS.csv"
        iris.to_csv(ctx.inbox / name, sep=";", index=False, lineterminator="\r\n")
        written.append(name)
    com, epci = synthetic_territoires(ctx.communes, ctx.epci_of, seed=MILLESIME)
    for level, frame in (("com", com), ("epci", epci)):
        name = f"caf_{level}_allocataires_{MILLESIME}.csv"
        frame.to_csv(ctx.inbox / name, sep=";", index=False, lineterminator="\n")
        written.append(name)
    return written
