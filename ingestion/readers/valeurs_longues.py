"""Helpers shared by the "besoins" readers: the long landing shape and Excel tables behind title rows.

Every needs source lands `<source_id>_valeurs` with the columns of `COLONNES_VALEURS`, one row per
territory × period × variable, `ligne` = line (or Excel row) of the value in the published file.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from ingestion.errors import Anomalie, FichierInvalide
from ingestion.readers.nombres import (
    NOMBRE,
    Nombres,
    arrow_strings,
    empiler,
    lire_nombres,
    map_stacked,
    nombres_arrow,
    ressemble_a_un_nombre,
    sans_espaces,
    to_number,
)

COLONNES_VALEURS = ["niveau", "code_geo", "libelle_geo", "millesime", "periode", "variable", "valeur", "statut",
                    "ligne"]
# Non-numeric cells seen in INSEE, CAF, DARES and DREES files.
CODES_SECRET = {"s", "ns", "n.s.", "secret", "c", ""}
CODES_NON_DISPONIBLE = {"nd", "n.d.", "so", "-", "///", "...", "na"}
STATUTS = np.array(["invalide", "secret", "non_disponible", "ok"], dtype=object)


def statut_cellule(values: pd.Series) -> pd.Series:
    """ok / secret / non_disponible / invalide for raw cells (blank = masked, like CAF and Filosofi 2019)."""
    raw = values.fillna("").astype(str).str.strip()
    ok = raw.str.replace("\u202f", "", regex=False).str.replace(" ", "", regex=False).str.match(NOMBRE)
    return _statuts(raw, ok.to_numpy(dtype=bool), values.index)


def _statuts(raw: pd.Series, ok: np.ndarray, index: pd.Index) -> pd.Series:
    """Labels picked by code from the stripped cells and their NOMBRE match (later rules win, as before)."""
    lowered = raw.str.lower()
    codes = np.zeros(len(raw), dtype=np.int8)
    codes[lowered.isin(CODES_SECRET).to_numpy(dtype=bool)] = 1
    codes[lowered.isin(CODES_NON_DISPONIBLE).to_numpy(dtype=bool)] = 2
    codes[ok] = 3
    return pd.Series(STATUTS[codes], index=index, dtype=object)


def lire_cellules(values: pd.Series) -> tuple[Nombres, pd.Series]:
    """`to_number` of the cells as text and their `statut_cellule`, NOMBRE matched once if already stripped."""
    texte = values.fillna("").astype(str)
    arr = arrow_strings(texte)
    if arr is None:
        return lire_nombres(texte), statut_cellule(values)
    nombres, _, matches = nombres_arrow(arr, texte)
    raw = texte.str.strip()
    stripped = arrow_strings(raw)
    if pc.sum(pc.binary_length(stripped)).as_py() != pc.sum(pc.binary_length(arr)).as_py():
        ok = ressemble_a_un_nombre(sans_espaces(stripped), texte.index)  # stripping removed something
    else:
        ok = matches
    return nombres, _statuts(raw, ok, values.index)


def cellules_en_nombres(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: to_number(frame[c].fillna("").astype(str)) for c in columns}, index=frame.index)


def melt_large_et_nombres(frame: pd.DataFrame, *, niveau: str | pd.Series, code: str, libelle: str | None,
                          variables: dict[str, str], millesime: int | dict[str, int],
                          periode: str | dict[str, str] | None,
                          extra: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Wide published table (index = file line) → long landing frame, and `cellules_en_nombres(frame,
    list(variables))` for the checks, every cell parsed once for both.

    `variables` maps published column → landed variable; `millesime`/`periode` are per file or per column.
    """
    columns = list(variables)
    keep = [code] + ([libelle] if libelle else []) + (extra or [])
    base = frame[keep].copy()
    if isinstance(niveau, pd.Series):
        base["_niveau"] = niveau
    else:
        base["_niveau"] = niveau
    long = base.join(frame[columns]).reset_index().melt(
        id_vars=["ligne", "_niveau", *keep], value_vars=columns, var_name="colonne", value_name="brut")
    valeur, statut, nombres = _valeurs(frame, columns, long)
    colonne = long["colonne"]
    out = pd.DataFrame({
        "niveau": long["_niveau"],
        "code_geo": long[code].astype(str),
        "libelle_geo": long[libelle] if libelle else None,
        "millesime": map_stacked(colonne, columns, millesime) if isinstance(millesime, dict) else millesime,
        "periode": (map_stacked(colonne, columns, periode) if isinstance(periode, dict)
                    else (periode if periode is not None else map_stacked(colonne, columns, lambda _: None))),
        "variable": map_stacked(colonne, columns, variables),
        "valeur": valeur,
        "statut": statut,
        "ligne": long["ligne"].astype("int64"),
    })
    for col in extra or []:
        out[col] = long[col]
    out["millesime"] = out["millesime"].astype("Int32")
    return out, nombres


def _valeurs(frame: pd.DataFrame, columns: list[str], long: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """The long table's `valeur` and `statut`, and the checks' numbers: column by column when possible."""
    if not _empilable(frame, columns):
        brut, statut = lire_cellules(long["brut"])
        return brut.valeurs, statut, cellules_en_nombres(frame, columns)
    parts = {c: lire_cellules(frame[c]) for c in columns}
    nombres = pd.DataFrame({c: n.valeurs for c, (n, _) in parts.items()}, index=frame.index)
    valeur = empiler([n for n, _ in parts.values()], long.index)
    if valeur is None:  # pandas picks the dtype of the stack (integers beyond 15 digits, exponents…)
        valeur = to_number(long["brut"].fillna("").astype(str))
    statut = pd.concat([s for _, s in parts.values()], ignore_index=True).set_axis(long.index)
    return valeur, statut, nombres


def _empilable(frame: pd.DataFrame, columns: list[str]) -> bool:
    """Whether melt's value column is exactly frame[c] for each c in turn, so columns can be parsed one by one.

    True for a unique index (the join is then 1:1, in order), unique column names (one column per name) and
    one dtype (stacking does not convert the cells).
    """
    return (frame.index.is_unique and frame.columns.is_unique and len(columns) > 0
            and len({frame[c].dtype for c in columns}) == 1)


# A sheet is read as a dense grid from A1 to its farthest cell: one value in column XFD of a 35,000-row sheet
# asks for 573 million cells (≈ 20 GB). The largest published sheets hold ≈ 5 million (base-cc in xlsx:
# 35,000 communes × ≈ 130 columns); above this bound a sheet is refused before it is loaded.
MAX_CELLULES = 15_000_000
MAX_XML_FEUILLE = 1 << 30  # bytes of a sheet's XML once unzipped (a zip bomb is refused, not inflated)
REFERENCE_CELLULE = re.compile(rb' r="([A-Z]{1,3})(\d+)"')


def _milliers(n: int) -> str:
    return f"{n:,}".replace(",", " ")  # French thousands separator


def _numero_colonne(lettres: bytes) -> int:
    n = 0
    for c in lettres:
        n = 26 * n + c - 64
    return n


def _xml_des_feuilles(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its XML member in the archive (xl/workbook.xml and its relationships)."""
    import xml.etree.ElementTree as ET

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    workbook = ET.fromstring(archive.read("xl/workbook.xml"))
    rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels if local(r.tag) == "Relationship"}
    members = {}
    for sheet in workbook.iter():
        if local(sheet.tag) != "sheet":
            continue
        rid = next((v for k, v in sheet.attrib.items() if local(k) == "id"), None)
        target = targets.get(rid, "")
        members[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return members


def controler_etendue(path: Path, feuilles: list[str] | None = None) -> None:
    """Refuse, before any sheet is loaded, a sheet whose grid (A1 to its farthest cell) exceeds MAX_CELLULES
    or whose XML inflates beyond MAX_XML_FEUILLE. The farthest cell is taken from the cells' own references,
    as calamine does (a `<dimension>` tag may lie); an archive this cannot read is left for the reader to refuse."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = _xml_des_feuilles(archive)
            for name in feuilles if feuilles is not None else list(members):
                member = members.get(name)
                if member is None or member not in archive.namelist():
                    continue
                info = archive.getinfo(member)
                with archive.open(info) as fh:
                    data = fh.read(MAX_XML_FEUILLE + 1)
                if info.file_size > MAX_XML_FEUILLE or len(data) > MAX_XML_FEUILLE:
                    raise FichierInvalide(path.name, [Anomalie(regle=(
                        f"feuille « {name} » de plus de {MAX_XML_FEUILLE >> 20} Mo une fois décompressée "
                        "(archive piégée ou classeur démesuré) : non lue"))])
                refs = REFERENCE_CELLULE.findall(data)
                if not refs:
                    continue
                lettres = max({lettres for lettres, _ in refs}, key=lambda x: (len(x), x))
                colonnes, lignes = _numero_colonne(lettres), max(int(n) for _, n in refs)
                if colonnes * lignes > MAX_CELLULES:
                    ligne = next(int(n) for x, n in refs if x == lettres)
                    raise FichierInvalide(path.name, [Anomalie(
                        regle=(f"feuille « {name} » démesurée : de A1 à la colonne {lettres.decode()} et à la ligne "
                               f"{lignes}, {_milliers(colonnes * lignes)} cellules à lire (au plus "
                               f"{_milliers(MAX_CELLULES)}) — une valeur isolée en {lettres.decode()}{ligne} ? "
                               "Supprimez les colonnes et lignes vides au-delà du tableau"),
                        colonne=lettres.decode(), lignes=[ligne])])
    except (zipfile.BadZipFile, KeyError, OSError, SyntaxError):  # ET.ParseError is a SyntaxError
        return


def lire_classeur(path: Path, feuilles: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """All (or some) sheets as raw string grids; a damaged or non-Excel file is refused in French."""
    if not path.read_bytes()[:4].startswith(b"PK"):
        if path.stat().st_size == 0:
            raise FichierInvalide(path.name, "le fichier est vide")
        raise FichierInvalide(path.name, "ce n'est pas un classeur Excel (.xlsx) valide")
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError, XmlError, ZipError

    # calamine (Rust) reads national workbooks ~10x faster than openpyxl (ensemble.xlsx: 0.5 s vs 7 s).
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except (CalamineError, PasswordError, XmlError, ZipError, ValueError, OSError) as exc:
        raise FichierInvalide(path.name, f"classeur Excel illisible ({type(exc).__name__})") from None
    names = feuilles if feuilles is not None else wb.sheet_names
    missing = [n for n in names if n not in wb.sheet_names]
    if missing:
        raise FichierInvalide(path.name, [Anomalie(
            regle=f"feuille(s) attendue(s) absente(s) du classeur : {', '.join(missing)}")])
    controler_etendue(path, names)
    grids = {}
    for name in names:
        try:
            rows = [_textes(row) for row in wb.get_sheet_by_name(name).to_python(skip_empty_area=False)]
        except (CalamineError, XmlError, ValueError) as exc:
            raise FichierInvalide(path.name, f"feuille « {name} » illisible ({type(exc).__name__})") from None
        width = max((len(r) for r in rows), default=0)
        grids[name] = pd.DataFrame([r + [None] * (width - len(r)) for r in rows], dtype=object)
    return grids


def _textes(row: list[object]) -> list[str | None]:
    # Most cells are non-blank text, kept as is without a call (350,000 cells in ensemble.xlsx).
    return [v if type(v) is str and v.strip() else _texte(v) for v in row]


def _texte(value: object) -> str | None:
    """Cells as published text: integers without '.0' (codes and counts), other numbers with a dot."""
    if value is None:
        return None
    if isinstance(value, float):  # no value is both a float and an int: checked first as the most common
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if hasattr(value, "isoformat"):  # dates and times
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


def table_sous_titres(path: Path, grid: pd.DataFrame, feuille: str, obligatoires: list[str],
                      max_titres: int = 30) -> tuple[pd.DataFrame, list[str]]:
    """Locate the header row by content (title rows above it are tolerated) and return the body.

    The header is the first row holding the first required column; any other required column missing
    from it (renamed or deleted) is refused, naming the column and the Excel row. Index = Excel row.
    """
    cells = grid.iloc[:max_titres].fillna("").astype(str).apply(lambda s: s.str.strip())
    hits = [i for i in range(len(cells)) if obligatoires[0] in set(cells.iloc[i])]
    if not hits:
        raise FichierInvalide(path.name, [Anomalie(
            regle=(f"ligne d'en-tête introuvable dans la feuille « {feuille} » (colonne « {obligatoires[0]} » "
                   f"attendue dans les {max_titres} premières lignes)"), colonne=obligatoires[0])])
    top = hits[0]
    header = [_clean_header(c) for c in grid.iloc[top]]
    missing = [c for c in obligatoires if c not in header]
    if missing:
        raise FichierInvalide(path.name, [Anomalie(
            regle=f"colonne(s) absente(s) ou renommée(s) dans l'en-tête de la feuille « {feuille} »",
            colonne=", ".join(missing), lignes=[top + 1])])
    body = grid.iloc[top + 1:].copy()
    body.columns = header
    body = body.loc[:, [c for c in header if c]]
    body = body.dropna(how="all")
    body.index = body.index + 1  # Excel row number
    body.index.name = "ligne"
    if body.empty:
        raise FichierInvalide(path.name, f"la feuille « {feuille} » ne contient aucune ligne de données")
    body = body.apply(lambda s: s.astype("string").str.strip())
    return body, [c for c in header if c]


def _clean_header(cell: object) -> str:
    if cell is None or (isinstance(cell, float) and pd.isna(cell)):
        return ""
    text = re.sub(r"\s+", " ", str(cell)).strip()
    return text[:-2] if re.fullmatch(r"\d{4}\.0", text) else text  # years read as floats


def colonne_absente(path: Path, colonnes: list[str], attendues: list[str]) -> None:
    missing = [c for c in attendues if c not in colonnes]
    if missing:
        raise FichierInvalide(path.name, [Anomalie(regle="colonne(s) attendue(s) absente(s) ou renommée(s)",
                                                   colonne=", ".join(missing), lignes=[1])])
