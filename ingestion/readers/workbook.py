"""Excel workbooks read as raw string grids (calamine), with the guards a hostile workbook needs, and
tables found below title rows."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pandas as pd

from ingestion.errors import InvalidFile, Issue

# A sheet is read as a dense grid from A1 to its farthest cell: one value in column XFD of a 35,000-row sheet
# asks for 573 million cells (≈ 20 GB). The largest published sheets hold ≈ 5 million (base-cc in xlsx:
# 35,000 communes × ≈ 130 columns); above this bound a sheet is refused before it is loaded.
MAX_CELLULES = 15_000_000
MAX_XML_FEUILLE = 1 << 30  # bytes of a sheet's XML once unzipped (a zip bomb is refused, not inflated)
MAX_CARACTERES_CELLULE = 32_767  # Excel's limit for the text of one cell
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


def check_sheet_extent(path: Path, feuilles: list[str] | None = None) -> None:
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
                    raise InvalidFile(path.name, [Issue(regle=(
                        f"feuille « {name} » de plus de {MAX_XML_FEUILLE >> 20} Mo une fois décompressée "
                        "(archive piégée ou classeur démesuré) : non lue"))])
                refs = REFERENCE_CELLULE.findall(data)
                if not refs:
                    continue
                lettres = max({lettres for lettres, _ in refs}, key=lambda x: (len(x), x))
                colonnes, lignes = _numero_colonne(lettres), max(int(n) for _, n in refs)
                if colonnes * lignes > MAX_CELLULES:
                    ligne = next(int(n) for x, n in refs if x == lettres)
                    raise InvalidFile(path.name, [Issue(
                        regle=(f"feuille « {name} » démesurée : de A1 à la colonne {lettres.decode()} et à la ligne "
                               f"{lignes}, {_milliers(colonnes * lignes)} cellules à lire (au plus "
                               f"{_milliers(MAX_CELLULES)}) — une valeur isolée en {lettres.decode()}{ligne} ? "
                               "Supprimez les colonnes et lignes vides au-delà du tableau"),
                        colonne=lettres.decode(), lignes=[ligne])])
    except (zipfile.BadZipFile, KeyError, OSError, SyntaxError):  # ET.ParseError is a SyntaxError
        return


def check_cell_lengths(path: Path, feuille: str, rows: list[list[object]] | list[tuple[object, ...]]) -> None:
    """Refuse cells longer than Excel allows (a workbook written by a program may hold 300,000 characters in a
    cell), naming sheet, column letter and row."""
    from openpyxl.utils import get_column_letter

    longues = [(i + 1, j + 1) for i, row in enumerate(rows) for j, v in enumerate(row)
               if type(v) is str and len(v) > MAX_CARACTERES_CELLULE]
    if longues:
        par_colonne: dict[int, list[int]] = {}
        for ligne, colonne in longues:
            par_colonne.setdefault(colonne, []).append(ligne)
        raise InvalidFile(path.name, [Issue(
            regle=(f"cellule de plus de {_milliers(MAX_CARACTERES_CELLULE)} caractères (limite d'Excel) : classeur "
                   "corrompu ou fabriqué par un programme (cellule "
                   + ", ".join(f"{get_column_letter(c)}{n}" for n in lignes[:10]) + ")"),
            feuille=feuille, colonne=get_column_letter(c), lignes=lignes, nb=len(lignes))
            for c, lignes in sorted(par_colonne.items())])


def read_workbook(path: Path, feuilles: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """All (or some) sheets as raw string grids; a damaged or non-Excel file is refused in French."""
    if not path.read_bytes()[:4].startswith(b"PK"):
        if path.stat().st_size == 0:
            raise InvalidFile(path.name, "le fichier est vide")
        raise InvalidFile(path.name, "ce n'est pas un classeur Excel (.xlsx) valide")
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError, XmlError, ZipError

    # calamine (Rust) reads national workbooks ~10x faster than openpyxl (ensemble.xlsx: 0.5 s vs 7 s).
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except (CalamineError, PasswordError, XmlError, ZipError, ValueError, OSError) as exc:
        raise InvalidFile(path.name, f"classeur Excel illisible ({type(exc).__name__})") from None
    names = feuilles if feuilles is not None else wb.sheet_names
    missing = [n for n in names if n not in wb.sheet_names]
    if missing:
        raise InvalidFile(path.name, [Issue(
            regle=f"feuille(s) attendue(s) absente(s) du classeur : {', '.join(missing)}")])
    check_sheet_extent(path, names)
    grids = {}
    for name in names:
        try:
            rows = [_textes(row) for row in wb.get_sheet_by_name(name).to_python(skip_empty_area=False)]
        except (CalamineError, XmlError, ValueError) as exc:
            raise InvalidFile(path.name, f"feuille « {name} » illisible ({type(exc).__name__})") from None
        check_cell_lengths(path, name, rows)
        width = max((len(r) for r in rows), default=0)
        grids[name] = pd.DataFrame([r + [None] * (width - len(r)) for r in rows], dtype=object)
    return grids


def _textes(row: list[object]) -> list[str | None]:
    # Most cells are non-blank text, kept as is without a call (350,000 cells in ensemble.xlsx).
    return [v if type(v) is str and v.strip() else _texte(v) for v in row]


def open_workbook(path: Path):  # noqa: ANN201 - openpyxl's Workbook, imported lazily
    """A workbook dropped in the inbox, read-only with computed values; unreadable → refused with its reason."""
    import openpyxl

    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is refused with its reason
        raise InvalidFile(path.name, f"classeur Excel illisible ({exc.__class__.__name__})") from None


def cell_text(value: object) -> str | None:
    """A cell typed by hand (comité workbooks): its text without surrounding spaces, None when blank."""
    text = _texte(value)
    return text.strip() or None if text is not None else None


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


def table_below_titles(path: Path, grid: pd.DataFrame, feuille: str, obligatoires: list[str],
                      max_titres: int = 30) -> tuple[pd.DataFrame, list[str]]:
    """Locate the header row by content (title rows above it are tolerated) and return the body.

    The header is the first row holding the first required column; any other required column missing
    from it (renamed or deleted) is refused, naming the column and the Excel row. Index = Excel row.
    """
    cells = grid.iloc[:max_titres].fillna("").astype(str).apply(lambda s: s.str.strip())
    hits = [i for i in range(len(cells)) if obligatoires[0] in set(cells.iloc[i])]
    if not hits:
        raise InvalidFile(path.name, [Issue(
            regle=(f"ligne d'en-tête introuvable dans la feuille « {feuille} » (colonne « {obligatoires[0]} » "
                   f"attendue dans les {max_titres} premières lignes)"), colonne=obligatoires[0])])
    top = hits[0]
    header = [_clean_header(c) for c in grid.iloc[top]]
    missing = [c for c in obligatoires if c not in header]
    if missing:
        raise InvalidFile(path.name, [Issue(
            regle=f"colonne(s) absente(s) ou renommée(s) dans l'en-tête de la feuille « {feuille} »",
            colonne=", ".join(missing), lignes=[top + 1])])
    body = grid.iloc[top + 1:].copy()
    body.columns = header
    body = body.loc[:, [c for c in header if c]]
    body = body.dropna(how="all")
    body.index = body.index + 1  # Excel row number
    body.index.name = "ligne"
    if body.empty:
        raise InvalidFile(path.name, f"la feuille « {feuille} » ne contient aucune ligne de données")
    body = body.apply(lambda s: s.astype("string").str.strip())
    return body, [c for c in header if c]


def _clean_header(cell: object) -> str:
    if cell is None or (isinstance(cell, float) and pd.isna(cell)):
        return ""
    text = re.sub(r"\s+", " ", str(cell)).strip()
    return text[:-2] if re.fullmatch(r"\d{4}\.0", text) else text  # years read as floats
