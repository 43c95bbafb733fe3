"""Filosofi wide files of every vintage in their published layout, generated at test time from the encoded
variable dictionaries (ingestion/dictionaries/insee_filosofi): header in the dictionary's order, `;`
separator, decimal comma, the vintage's secret code. SYNTHETIC values (deterministic, fixed seed): each
generated file is recorded as synthetic in the inbox's lineage sidecar when an inbox is given.

The real 2019 files (PROVENANCE.md) are UTF-8 with a BOM and CRLF line ends, their secret cells empty; the
real 2021 commune file has no BOM, LF line ends and `s`. Earlier vintages follow the 2019 layout with `s`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingestion.dictionaries import Variable, encoded

FILE_NAMES = {"DISP": "FILO{year}_DISP_{niveau}.csv", "DISP_Pauvres": "FILO{year}_DISP_Pauvres_{niveau}.csv",
              "cc": "cc_filosofi_{year}_{niveau}.csv"}
DECIMALS = {"nombre": 0, "euros": 0, "pourcentage": 1, "part_revenu": 1, "ratio": 2}


@dataclass(frozen=True)
class Generated:
    path: Path
    header: list[str]
    values: dict[tuple[str, str], float | None]  # (CODGEO, published column) → value, None when secret
    dictionary: dict[str, Variable]


def secret_code(year: int) -> str:
    return "" if year == 2019 else "s"


def _value(var: Variable, rng: np.random.Generator, persons: float) -> float:
    unite = var.unite
    if unite == "nombre":
        return float(round(persons if var.variable in ("NBPERS", "NBPERSMENFISC") else
                           persons / 2.2 if var.variable in ("NBMEN", "NBMENFISC") else persons / 1.5))
    if unite == "euros":
        base = 11_000 if var.variable == "TP60Q2" else 21_000
        return float(round(base + rng.uniform(-2_000, 2_000), -1))
    if unite == "pourcentage":
        return round(float(rng.uniform(4, 45)), 1)
    if unite == "part_revenu":
        return round(float(rng.uniform(-20, 80)), 1)
    if unite == "ratio":
        return round(float(rng.uniform(0.15, 4.0)), 2)
    raise ValueError(unite)


def _cell(value: float | None, unite: str, secret: str) -> str:
    if value is None:
        return secret
    return f"{value:.{DECIMALS[unite]}f}".replace(".", ",")


def write_published(folder: Path, year: int, fichier: str, niveau: str, territories: list[tuple[str, str, float]],
                    *, seed: int = 0, secret_every: int = 0, omit: tuple[str, ...] = (),
                    inbox: Path | None = None) -> Generated:
    """One file (`fichier` = DISP, DISP_Pauvres or cc) of vintage `year` at `niveau` (COM, EPCI, DEP) for
    `territories` = [(code, libellé, persons)]. Every `secret_every`-th territory has its rates secret.
    `omit`: published columns left out (e.g. the persons of a commune file)."""
    dictionary = encoded("insee_filosofi", year, fichier)
    header = [c for c in dictionary if c not in omit]
    rng = np.random.default_rng(seed * 10_000 + year)
    values: dict[tuple[str, str], float | None] = {}
    secret = secret_code(year)
    lines = [";".join(header)]
    for i, (code, libelle, persons) in enumerate(territories):
        cells = []
        masked = secret_every > 0 and i % secret_every == secret_every - 1
        for col in header:
            var = dictionary[col]
            if var.unite == "code":
                cells.append(code)
            elif var.unite == "libelle":
                cells.append(libelle)
            else:
                value = None if masked and var.unite == "pourcentage" else _value(var, rng, persons)
                values[(code, col)] = value
                cells.append(_cell(value, var.unite, secret))
        lines.append(";".join(cells))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE_NAMES[fichier].format(year=year, niveau=niveau)
    if year == 2021:
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8"))
    if inbox is not None:
        from ingestion.fetch import record_origin

        record_origin(inbox, hashlib.sha256(path.read_bytes()).hexdigest(), synthetique=True)
    return Generated(path, header, values, dictionary)
