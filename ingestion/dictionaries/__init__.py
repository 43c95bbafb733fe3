"""Variable dictionaries of the published files, encoded once as data (one CSV per source and vintage).

Each CSV of `ingestion/dictionaries/<source_id>/` keeps the columns of the `meta_*` files that INSEE
publishes beside each data file (`COD_VAR;LIB_VAR;LIB_VAR_LONG;COD_MOD;LIB_MOD;TYPE_VAR;LONG_VAR`, `;`-separated)
and adds three: `FICHIER` (which published file of the vintage: `DISP`, `DISP_Pauvres`, `cc`, `long` for
Filosofi; the theme of a recensement base `base-cc-<theme>-AAAA`, or `dossier_complet`),
`UNITE` (what the numbers are, which decides the checks) and `VARIABLE` (the name the value is landed under,
the one `map_variables__indicateurs` reads: `AGE1TP6016` → `TP60AGE1`).

A `meta_<file>.csv` dropped in the inbox beside its data file overrides the labels of the encoded dictionary
and extends it with the variables it does not know (their unit is read from their label).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

DICTIONARY_DIR = Path(__file__).parent
META_COLUMNS = ["COD_VAR", "LIB_VAR", "LIB_VAR_LONG", "COD_MOD", "LIB_MOD", "TYPE_VAR", "LONG_VAR"]
# Units and the checks they imply (see expectations/suites/insee_filosofi.py).
UNITES = ("code", "libelle", "nombre", "euros", "pourcentage", "part_revenu", "ratio", "inconnue")
# Which file of a vintage a registry format reads.
FICHIER_OF_FORMAT = {"filosofi_cc": "cc", "filosofi_disp": "DISP", "filosofi_pauvres": "DISP_Pauvres",
                     "filosofi_long": "long"}


@dataclass(frozen=True)
class Variable:
    code: str  # COD_VAR, as published (with its year suffix)
    libelle: str  # LIB_VAR
    type: str  # TYPE_VAR: NUM or CHAR
    unite: str  # one of UNITES
    variable: str  # name of the landed variable
    origine: str  # the dictionary that described it


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")  # older INSEE meta files


def _rows(text: str) -> list[dict[str, str]]:
    return [{k.strip(): (v or "").strip() for k, v in row.items() if k}
            for row in csv.DictReader(io.StringIO(text), delimiter=";")]


@cache
def encoded(source_id: str, millesime: int, fichier: str) -> dict[str, Variable]:
    """The encoded dictionary of one file of one vintage, COD_VAR → Variable (empty when not encoded)."""
    path = DICTIONARY_DIR / source_id / f"{source_id.removeprefix('insee_')}_{millesime}.csv"
    if not path.exists():
        return {}
    out: dict[str, Variable] = {}
    for row in _rows(path.read_text(encoding="utf-8")):
        if row["FICHIER"] == fichier and row["COD_VAR"] not in out:
            out[row["COD_VAR"]] = Variable(row["COD_VAR"], row["LIB_VAR"], row["TYPE_VAR"], row["UNITE"],
                                           row["VARIABLE"], path.name)
    return out


def unit_from_label(libelle: str, type_var: str = "NUM") -> str:
    """The unit a label states, for a variable only described by a published meta file."""
    text = libelle.lower()
    if type_var.upper() == "CHAR":
        return "libelle" if "libell" in text else "code"
    if "€" in text or "euro" in text:
        return "euros"
    if text.startswith("part des") and ("revenu" in text or "prestation" in text or "impôt" in text):
        return "part_revenu"
    if "(%)" in text or text.startswith(("taux", "part ", "pourcentage")):
        return "pourcentage"
    if text.startswith(("nombre", "effectif")):
        return "nombre"
    if any(w in text for w in ("rapport", "indice", "intensité", "ratio")):
        return "ratio"
    return "inconnue"


def companion_meta(path: Path) -> Path | None:
    """`meta_<name>.csv` beside a data file (any case), if the inbox holds one."""
    wanted = f"meta_{path.stem}.csv".lower()
    for other in path.parent.iterdir():
        if other.is_file() and other.name.lower() == wanted:
            return other
    return None


def is_companion_meta(path: Path) -> bool:
    """A `meta_*` file whose data file is beside it: read with that file, never a file of its own.

    The data file may have another extension (`meta_base-cc-logement-2021.CSV` beside the xlsx base)."""
    if not path.name.lower().startswith("meta_"):
        return False
    stem = Path(path.name[len("meta_"):]).stem.lower()
    return any(p.stem.lower() == stem for p in path.parent.iterdir() if p.is_file() and p != path)


def read_meta(path: Path) -> list[dict[str, str]]:
    rows = _rows(_decode(path.read_bytes()))
    missing = [c for c in ("COD_VAR", "LIB_VAR") if rows and c not in rows[0]]
    if not rows or missing:
        raise ValueError(f"{path.name} : dictionnaire des variables illisible (colonnes attendues : "
                         f"{';'.join(META_COLUMNS)})")
    return rows


def _without_year(code: str, yy: str) -> str:
    return code[:-2] if len(code) > 2 and code.endswith(yy) else code


def dictionary_for(path: Path, source_id: str, millesime: int, fichier: str) -> dict[str, Variable]:
    """The encoded dictionary of the file, overridden and extended by a `meta_*` file beside it."""
    variables = dict(encoded(source_id, millesime, fichier))
    meta = companion_meta(path)
    if meta is None:
        return variables
    yy = f"{millesime % 100:02d}"
    seen: set[str] = set()
    for row in read_meta(meta):
        code = row["COD_VAR"]
        if code in seen or not code:
            continue  # INSEE repeats a variable once per modality (COD_MOD)
        seen.add(code)
        type_var = row.get("TYPE_VAR") or "NUM"
        known = variables.get(code)
        if known is not None:
            variables[code] = replace(known, libelle=row["LIB_VAR"] or known.libelle, type=type_var,
                                      origine=meta.name)
        else:
            variables[code] = Variable(code, row["LIB_VAR"], type_var,
                                       row.get("UNITE") or unit_from_label(row["LIB_VAR"], type_var),
                                       row.get("VARIABLE") or _without_year(code, yy), meta.name)
    return variables

