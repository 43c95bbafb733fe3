"""Recensement files of every vintage 2017-2022 in their published layout, generated at test time: the five
base-cc themes (`base-cc-<theme>-AAAA.CSV`, upper-case extension, `;`, dot decimals, RP 2020 employment
republished as `…-2020_v2.CSV`; or xlsx with title rows, a labels row and the `CODGEO` header on sheet
`COM_AAAA`) and the dossier complet (`dossier_complet.csv`, RP columns
mixed with Filosofi, births/deaths and establishment columns), each with its `meta_*` variable dictionary
(`COD_VAR;LIB_VAR;…`, some in cp1252) beside it.

The published column names of each vintage are written here, independently of the encoded dictionaries
(`ingestion/dictionaries/insee_recensement`), which only lend their labels to the meta files. Each base
re-expresses an older vintage (`COMPARAISON`): RP 2022 carries `P16_` columns, the diplomas of 2013 to 2016 in
the nomenclature of their time (`P16_NSCOL15P_DIPLMIN` = no diploma or at most the BEPC, `P16_NSCOL15P_SUP`);
RP 2019 names the unemployed `P19_CHOMEUR1564`; RP 2022 replaces `C22_RP_HSTU1P_SUROCC` by
`C22_RP_SUROCC_MOD` and `_ACC` (over all main residences). The dossier complet follows the layout of the real RP 2018
one (the bases theme after theme, then `D99_POP`, `SUPERF`, births, Filosofi, establishments, tourism).
SYNTHETIC values (deterministic, fixed seed), coherent (a part never exceeds its total).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from demo.synthetic.insee_recensement import synthetic_rp
from ingestion.dictionaries import META_COLUMNS, encoded

VINTAGES = range(2017, 2023)
COMPARAISON = {2017: 2012, 2018: 2013, 2019: 2013, 2020: 2014, 2021: 2015, 2022: 2016}
THEMES = ("evol-struct-pop", "emploi-pop-active", "diplomes-formation", "logement", "coupl-fam-men")
# Republished files keep the vintage and add a version to the name.
SUFFIXES = {(2020, "emploi-pop-active"): "_v2"}
DIPLOMES = ("DIPLMIN", "BEPC", "CAPBEP", "BAC", "SUP2", "SUP34", "SUP5")
# Variables published under another name in some vintage (catalogue name → published name, no vintage).
PUBLIES = {(2019, "P_CHOM1564"): "P_CHOMEUR1564"}


def _yy(year: int) -> str:
    return f"{year % 100:02d}"


def column(name: str, year: int) -> str:
    """The published column of a variable (`P_CHOM1564`) in a vintage: RP 2019 names it `P19_CHOMEUR1564`."""
    published = PUBLIES.get((year, name), name)
    return f"{published[0]}{_yy(year)}{published[1:]}"


def variable(col: str) -> str:
    """The catalogue variable a published column feeds (what the warehouse should land it under)."""
    year = 2000 + int(col[1:3])
    name = f"{col[0]}_{col[4:]}"
    name = {v: k for (y, k), v in PUBLIES.items() if y == year}.get(name, name)
    return f"{name}_BEPC" if name == "P_NSCOL15P_DIPLMIN" and year < 2017 else name


def layout(theme: str, year: int) -> list[str]:
    """The published columns of a base (after `CODGEO`), in the vintage's names."""
    cc = COMPARAISON[year]

    def cols(names: list[str], y: int = year) -> list[str]:
        return [column(n, y) for n in names]

    if theme == "evol-struct-pop":
        return cols(["P_POP", "P_POP0014", "P_POP1529"]) + cols(["P_POP", "P_POP0014"], cc)
    if theme == "emploi-pop-active":
        return cols(["P_POP1564", "P_ACT1564", "P_ACTOCC1564", "P_CHOM1564"]) + [
            f"P{_yy(cc)}_{n}" for n in ("POP1564", "ACT1564", "CHOM1564")]
    if theme == "diplomes-formation":
        new = cols(["P_NSCOL15P", *[f"P_NSCOL15P_{d}" for d in DIPLOMES]])
        if 2013 <= cc <= 2016:  # the comparison vintage in the nomenclature of its time
            return new + [f"P{_yy(cc)}_NSCOL15P{d}" for d in ("", "_DIPLMIN", "_CAPBEP", "_BAC", "_SUP")]
        return new
    if theme == "logement":
        # RP 2022 counts overcrowding over all main residences (moderate, severe), no longer without the
        # one-person studios: C22_RP_HSTU1P_SUROCC is gone.
        suroccupation = (["C_RP_NORME", "C_RP_SUROCC_MOD", "C_RP_SUROCC_ACC"] if year >= 2022 else
                         ["C_RP_HSTU1P", "C_RP_HSTU1P_SUROCC"])
        return cols(["P_RP", "P_MEN", "P_RP_PROP", "P_RP_LOC", "P_RP_LOCHLMV", "P_RP_VOIT1P", *suroccupation])
    if theme == "coupl-fam-men":
        return cols(["P_POP80P", "P_POP80P_PSEUL", "C_MEN", "C_MENPSEUL", "C_FAM", "C_FAMMONO", "C_COUPAENF"])
    raise ValueError(theme)


def layout_dossier_complet(year: int) -> list[str]:
    """Every base's columns, theme after theme, then columns of other sources, as the dossier complet."""
    yy, cc = _yy(year), _yy(COMPARAISON[year])
    rp = [c for t in THEMES for c in layout(t, year)]
    return [*rp, "D99_POP", "SUPERF", f"NAIS{cc}{yy}", f"DECE{cc}{yy}", f"NAISD{_yy(year + 2)}",
            f"NBMENFISC{yy}", f"MED{yy}", f"TP60{yy}", f"ETTOT{yy}", f"HT{_yy(year + 3)}"]


NON_RP_COLUMNS = ("D99_", "SUPERF", "NAIS", "DECE", "NBMENFISC", "MED", "TP60", "ETTOT", "HT")


@dataclass(frozen=True)
class Generated:
    path: Path
    header: list[str]
    values: dict[tuple[str, str], float]  # (CODGEO, published column) → value as written
    meta: Path | None


def vintage_values(communes: pd.DataFrame, year: int, seed: int) -> pd.DataFrame:
    """Every published column of the vintage (all bases and the dossier complet), one row per commune, as text."""
    yy, cc = _yy(year), _yy(COMPARAISON[year])
    base = synthetic_rp(communes, seed=seed)
    rng = np.random.default_rng(seed + 1000)
    n = len(base)
    v: dict[str, np.ndarray] = {c: base[c].to_numpy(dtype=float) for c in base.columns if c.startswith(("P_", "C_"))}
    v["P_ACTOCC1564"] = v["P_ACT1564"] - v["P_CHOM1564"]
    rest = v["P_NSCOL15P"] - v["P_NSCOL15P_DIPLMIN"]
    shares = rng.dirichlet(np.ones(len(DIPLOMES) - 1), n)
    for i, d in enumerate(DIPLOMES[1:]):
        v[f"P_NSCOL15P_{d}"] = rest * shares[:, i]
    v["C_RP_SUROCC_MOD"] = v["C_RP_HSTU1P"] * rng.uniform(0.05, 0.12, n)
    v["C_RP_SUROCC_ACC"] = v["C_RP_HSTU1P"] * rng.uniform(0.0, 0.03, n)
    v["C_RP_NORME"] = v["C_RP_HSTU1P"] * rng.uniform(0.3, 0.5, n)
    v["P_POP0014"] = v["P_POP"] * rng.uniform(0.12, 0.2, n)
    v["P_POP1529"] = v["P_POP"] * rng.uniform(0.12, 0.2, n)
    out: dict[str, np.ndarray] = {}
    for name, arr in v.items():
        out[column(name, year)] = arr
    older = rng.uniform(0.9, 1.05, n)  # one factor per commune keeps every part below its total
    for name in ("P_POP", "P_POP0014", "P_POP1564", "P_ACT1564", "P_CHOM1564", "P_NSCOL15P"):
        out[f"P{cc}{name[1:]}"] = v[name] * older
    out[f"P{cc}_NSCOL15P_DIPLMIN"] = (v["P_NSCOL15P_DIPLMIN"] + v["P_NSCOL15P_BEPC"]) * older
    out[f"P{cc}_NSCOL15P_CAPBEP"] = v["P_NSCOL15P_CAPBEP"] * older
    out[f"P{cc}_NSCOL15P_BAC"] = v["P_NSCOL15P_BAC"] * older
    out[f"P{cc}_NSCOL15P_SUP"] = (v["P_NSCOL15P_SUP2"] + v["P_NSCOL15P_SUP34"] + v["P_NSCOL15P_SUP5"]) * older
    pop = v["P_POP"]
    out["D99_POP"] = np.round(pop * 0.95)
    out[f"HT{_yy(year + 3)}"] = np.round(rng.uniform(0, 3, n))
    out["SUPERF"] = rng.uniform(3, 60, n)
    out[f"NAIS{cc}{yy}"] = np.round(pop * 0.05)
    out[f"DECE{cc}{yy}"] = np.round(pop * 0.06)
    out[f"NAISD{_yy(year + 2)}"] = np.round(pop * 0.01)
    out[f"NBMENFISC{yy}"] = np.round(pop / 2.2)
    out[f"MED{yy}"] = np.round(rng.uniform(19_000, 25_000, n), -1)
    out[f"TP60{yy}"] = np.round(rng.uniform(6, 25, n), 1)
    out[f"ETTOT{yy}"] = np.round(pop * 0.08)
    text = {c: [f"{x:.5f}".rstrip("0").rstrip(".") for x in arr] for c, arr in out.items()}
    frame = pd.DataFrame(text)
    frame.insert(0, "CODGEO", communes["code"].astype(str).to_numpy())
    frame["LIBGEO"] = communes["nom"].to_numpy()
    return frame


def _label(column: str, year: int, dictionary: dict) -> str:
    if column in dictionary:
        return dictionary[column].libelle
    return f"{column} (variable publiée en {year})"


def write_meta(path: Path, columns: list[str], year: int, fichier: str, encoding: str = "utf-8") -> Path:
    """`meta_<data file>`: one row per column (CODGEO first), labels of the encoded dictionary when it has them."""
    dictionary = encoded("insee_recensement", year, fichier)
    lines = [";".join(META_COLUMNS)]
    for col in ["CODGEO", *columns]:
        typ = "CHAR" if col == "CODGEO" else "NUM"
        label = _label(col, year, dictionary)
        lines.append(";".join([col, label, label, "", "", typ, "5" if col == "CODGEO" else ""]))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def _written(frame: pd.DataFrame, columns: list[str]) -> dict[tuple[str, str], float]:
    return {(code, c): float(x) for c in columns for code, x in zip(frame["CODGEO"], frame[c], strict=True)}


def write_base(folder: Path, year: int, theme: str, values: pd.DataFrame, *, xlsx: bool = False, meta: bool = True,
               meta_encoding: str = "utf-8", arm: pd.DataFrame | None = None) -> Generated:
    """One base; `arm`: rows of municipal arrondissements (xlsx only, sheet `ARM_AAAA`)."""
    folder.mkdir(parents=True, exist_ok=True)
    columns = layout(theme, year)
    stem = f"base-cc-{theme}-{year}{SUFFIXES.get((year, theme), '')}"
    if xlsx:
        path = folder / f"{stem}.xlsx"
        _write_xlsx(path, values, columns, year, theme, arm)
        if arm is not None:
            values = pd.concat([values, arm])
    else:
        path = folder / f"{stem}.CSV"
        values[["CODGEO", *columns]].to_csv(path, sep=";", index=False, lineterminator="\n")
    meta_path = write_meta(folder / f"meta_{stem}.CSV", columns, year, theme, meta_encoding) if meta else None
    return Generated(path, ["CODGEO", *columns], _written(values, columns), meta_path)


def write_dossier_complet(folder: Path, year: int, values: pd.DataFrame, *, meta: bool = True) -> Generated:
    folder.mkdir(parents=True, exist_ok=True)
    columns = layout_dossier_complet(year)
    path = folder / "dossier_complet.csv"
    values[["CODGEO", *columns]].to_csv(path, sep=";", index=False, lineterminator="\n")
    meta_path = write_meta(folder / "meta_dossier_complet.csv", columns, year, "dossier_complet") if meta else None
    return Generated(path, ["CODGEO", *columns], _written(values, columns), meta_path)


def _write_xlsx(path: Path, values: pd.DataFrame, columns: list[str], year: int, theme: str,
                arm: pd.DataFrame | None) -> None:
    """Sheets `COM_AAAA` and `ARM_AAAA` (municipal arrondissements), 5 rows above the code header."""
    import openpyxl

    dictionary = encoded("insee_recensement", year, theme)
    wb = openpyxl.Workbook(write_only=True)
    for sheet, rows in ((f"COM_{year}", values), (f"ARM_{year}", arm)):
        if rows is None:
            continue
        ws = wb.create_sheet(sheet)
        ws.append([f"{theme} en {year} - Recensement de la population - Base communale (DONNÉES SYNTHÉTIQUES)"])
        ws.append([f"Géographie au 01/01/{year + 3}"])
        ws.append(["Source : Insee, RP, exploitations principale et complémentaire"])
        ws.append([])
        ws.append(["Code géographique", "Libellé géographique", *[_label(c, year, dictionary) for c in columns]])
        ws.append(["CODGEO", "LIBGEO", *columns])
        for row in rows[["CODGEO", "LIBGEO", *columns]].itertuples(index=False):
            ws.append([str(row[0]), row[1], *[float(x) for x in row[2:]]])
    wb.save(path)


def write_vintage(folder: Path, year: int, communes: pd.DataFrame, seed: int, *, xlsx: tuple[str, ...] = (),
                  meta_encoding: str = "utf-8", arm: pd.DataFrame | None = None) -> dict[str, Generated]:
    """The five bases of one vintage in `folder` (themes in `xlsx` as workbooks, with the arrondissements
    `arm` — code, nom, population — on their ARM sheet), keyed by theme."""
    values = vintage_values(communes, year, seed)
    arm_values = vintage_values(arm, year, seed + 1) if arm is not None else None
    return {t: write_base(folder, year, t, values, xlsx=t in xlsx, meta_encoding=meta_encoding,
                          arm=arm_values if t in xlsx else None) for t in THEMES}
