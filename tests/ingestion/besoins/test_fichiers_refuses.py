"""Bad-file corpus, generated from a good file of each format: every file is refused with a French message naming
the file, the column and the rule, exit code 2, and the served warehouse stays byte-identical."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from expectations.runner import validate
from ingestion.registry import recognise
from tests.conftest import sha256
from tests.ingestion.besoins.conftest import write_good
from warehouse.cli import main

# format → (code column, column to drop, column to rename, (column, bad value) out of range, bad code)
CSV = {
    "filosofi_long": ("GEO", "CONF_STATUS", "OBS_VALUE", ("OBS_VALUE", "140"), "GEO_OBJECT:GEO"),
    "recensement": ("CODGEO", "CODGEO", "P21_CHOM1564", ("P21_CHOM1564", "-5"), "CODGEO"),
    "caf_iris": ("CODGEO", "NOTE", "PERCOU", ("ARSAS", "-3"), "CODGEO"),
    "caf_communes": ("Codes_Insee", "DTREF", "Codes_Insee", ("ALL_AAH", "-1"), "Codes_Insee"),
    "defm": ("CODE_ZONE", "DEFM_ABC", "TRIMESTRE", ("DEFM_B", "-10"), "TYPE_ZONE:CODE_ZONE"),
}
CSV_KINDS = ["latin1", "colonne_manquante", "colonne_renommee", "doublon", "hors_bornes", "code_invalide",
             "tronque", "vide", "mauvais_delimiteur"]


def _rows(path: Path) -> list[list[str]]:
    text = path.read_text(encoding="utf-8-sig")
    return [line.split(";") for line in text.splitlines()]


def _write(path: Path, rows: list[list[str]]) -> None:
    path.write_text("\n".join(";".join(r) for r in rows) + "\n", encoding="utf-8")


def _target_row(rows: list[list[str]], fmt: str, column: str) -> int:
    """First data row where the column holds a number (and, for Filosofi 2023, a poverty rate)."""
    col = rows[0].index(column)
    for i, r in enumerate(rows[1:], start=1):
        cell = r[col].strip('"')
        if cell and cell[0].isdigit() and (fmt != "filosofi_long" or r[0].strip('"') == "PR_MD60"):
            return i
    raise AssertionError("no numeric cell")


def corrupt_csv(path: Path, fmt: str, kind: str) -> tuple[list[str], int | None]:
    """Apply one defect; return the message fragments expected and the file line to be named (if any)."""
    code, drop, rename, (num_col, bad), code_col = CSV[fmt]
    rows = _rows(path)
    header = [h.strip('"') for h in rows[0]]
    rows[0] = header
    if kind == "latin1":
        path.write_bytes(path.read_bytes() + ";".join(["Angoulême"] * len(header)).encode("latin-1") + b"\n")
        return ["encodage non UTF-8"], len(rows) + 1
    if kind == "colonne_manquante":
        j = header.index(drop)
        _write(path, [r[:j] + r[j + 1:] for r in rows])
        return ["absente", drop], None
    if kind == "colonne_renommee":
        header[header.index(rename)] = rename.lower() + "_x"
        _write(path, rows)
        if fmt == "recensement":  # any Pyy_/Cyy_ column is optional, a non-RP name is not
            return [rename.lower() + "_x", "non conforme"], 1
        return [rename, "absente"], None
    if kind == "doublon":
        _write(path, rows + [rows[1]])
        return ["en double", code if code_col == code or fmt != "filosofi_long" else "GEO"], len(rows) + 1
    if kind == "hors_bornes":
        i = _target_row(rows, fmt, num_col)
        rows[i][header.index(num_col)] = f'"{bad}"' if fmt == "filosofi_long" else bad
        _write(path, rows)
        return ["valeur hors de l'intervalle autorisé", num_col, bad], i + 1
    if kind == "code_invalide":
        j = header.index(code)
        rows[2][j] = rows[2][j].replace(rows[2][j].strip('"')[:2], "1X", 1)
        _write(path, rows)
        return ["format de valeur invalide", code_col], 3
    if kind == "tronque":
        text = path.read_text(encoding="utf-8")
        path.write_text(text[: text.rstrip("\n").rfind("\n") + 1 + len(rows[-1][0]) + 2], encoding="utf-8")
        return ["fichier tronqué"], len(rows)
    if kind == "vide":
        path.write_bytes(b"")
        return ["le fichier est vide"], None
    if kind == "mauvais_delimiteur":  # rows re-saved with "," under a ";" header (regional settings mix-up)
        path.write_text(";".join(header) + "\n" + "\n".join(",".join(r) for r in rows[1:]) + "\n", encoding="utf-8")
        return ["séparateur"], 2
    raise ValueError(kind)


def _refused(ws: Path, inbox: Path, name: str, fragments: list[str], line: int | None,
             capsys: pytest.CaptureFixture[str]) -> None:
    served = ws / "serving" / "pacte.duckdb"
    before, manifest = sha256(served), (ws / "landing" / "_manifest.json").read_text()
    code = main(["run", "--departement", "16", "--inbox", str(inbox), "--workspace", str(ws)])
    out = capsys.readouterr()
    message = " ".join((out.out + out.err).split())
    assert code == 2, message
    assert f"Fichier refusé : {name}" in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    if line is not None:
        assert f"lignes {line}" in message or f", {line}" in message, (line, message)
    assert "l'entrepôt publié est inchangé" in message
    assert sha256(served) == before
    assert (ws / "landing" / "_manifest.json").read_text() == manifest
    assert list((ws / "quarantine").glob(f"*/{name}")), "the refused file is kept in quarantine"


@pytest.mark.parametrize("kind", CSV_KINDS)
@pytest.mark.parametrize("fmt", list(CSV))
def test_bad_csv_is_refused(fmt: str, kind: str, besoins_ws: Path, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    inbox = tmp_path / "inbox"
    path = write_good(fmt, inbox)
    fragments, line = corrupt_csv(path, fmt, kind)
    _refused(besoins_ws, inbox, path.name, fragments, line, capsys)


# --- Excel formats ---------------------------------------------------------------------------------------

# format → (sheet, header cell to rename/drop, column of a count, column of the code)
XLSX = {
    "populations": ("Communes", "Population municipale", "Population comptée à part", "Code commune"),
    "drees": ("TAUX_RSA", "Département", "2021", "Code"),
    "recensement_xlsx": ("COM", "CODGEO", "P21_RP_LOC", "CODGEO"),
}
XLSX_KINDS = ["en_tete_renomme", "colonne_manquante", "doublon", "hors_bornes", "code_invalide", "tronque", "vide",
              "pas_un_classeur"]


def _header_row(ws, label: str) -> tuple[int, int]:
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == label:
                return cell.row, cell.column
    raise AssertionError(label)


def corrupt_xlsx(path: Path, fmt: str, kind: str) -> tuple[list[str], int | None]:
    sheet, header_cell, count_col, code_col = XLSX[fmt]
    if kind == "tronque":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
        return ["classeur Excel illisible"], None
    if kind == "vide":
        path.write_bytes(b"")
        return ["le fichier est vide"], None
    if kind == "pas_un_classeur":
        path.write_text("Code;Département\n16;Charente\n", encoding="latin-1")
        return ["n'est pas un classeur Excel"], None
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    hrow, _ = _header_row(ws, header_cell)
    first = hrow + 1
    expected: tuple[list[str], int | None]
    if fmt == "recensement_xlsx" and kind in ("en_tete_renomme", "colonne_manquante"):
        expected = (["CODGEO", "en-tête introuvable"], None)  # the code header row is found by its CODGEO cell
        _, col = _header_row(ws, header_cell)
        if kind == "en_tete_renomme":
            ws.cell(hrow, col).value = "CODE_GEO"
        else:
            ws.delete_cols(col)
    elif kind == "en_tete_renomme":
        _, col = _header_row(ws, header_cell)
        ws.cell(hrow, col).value = header_cell + " (libellé modifié)"
        expected = ([header_cell, "absente"], hrow)
    elif kind == "colonne_manquante":
        _, col = _header_row(ws, header_cell)
        ws.delete_cols(col)
        expected = ([header_cell, "absente"], hrow)
    elif kind == "doublon":
        ws.append([c.value for c in ws[first]])
        expected = (["en double"], ws.max_row)
    elif kind == "hors_bornes":
        _, col = _header_row(ws, count_col)
        ws.cell(first, col).value = -12
        expected = (["valeur hors de l'intervalle autorisé", count_col], first)
    else:  # code_invalide
        _, col = _header_row(ws, code_col)
        ws.cell(first, col).value = "X1"
        expected = (["format de valeur invalide"], first)
    wb.save(path)
    return expected


@pytest.mark.parametrize("kind", XLSX_KINDS)
@pytest.mark.parametrize("fmt", list(XLSX))
def test_bad_xlsx_is_refused(fmt: str, kind: str, besoins_ws: Path, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    inbox = tmp_path / "inbox"
    path = write_good(fmt, inbox)
    fragments, line = corrupt_xlsx(path, fmt, kind)
    _refused(besoins_ws, inbox, path.name, fragments, line, capsys)


@pytest.mark.parametrize("fmt", list(XLSX))
def test_extra_title_rows_are_tolerated(fmt: str, tmp_path: Path) -> None:
    """Header drift: three more title rows above the header → same values, Excel rows shifted by 3."""
    path = write_good(fmt, tmp_path / "a")
    fichier = recognise(path)
    before = fichier.format.load_reader()(fichier).tables
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        ws.insert_rows(1, amount=3)
        ws.cell(1, 1).value = "Note ajoutée par le service : titre supplémentaire"
    wb.save(path)
    lecture = fichier.format.load_reader()(fichier)
    assert validate(fichier.format.suite, lecture).ok
    for name, frame in lecture.tables.items():
        old = before[name]
        assert frame["valeur"].tolist() == old["valeur"].tolist()
        assert (frame["ligne"] - old["ligne"]).eq(3).all()
