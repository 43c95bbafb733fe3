"""Readers and suites on real files (values asserted from the files themselves) and on synthetic layouts."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import openpyxl
import pytest

from expectations.runner import validate
from ingestion.errors import InvalidFile
from ingestion.registry import recognise
from tests.conftest import need_real
from tests.ingestion.besoins.conftest import CAF_2020, ENSEMBLE, FILO_EPCI_2019, write_good


def _read(path: Path):
    fichier = recognise(path)
    assert fichier is not None, path.name
    lecture = fichier.format.load_reader()(fichier)
    return fichier, lecture


def _valid(path: Path):
    fichier, lecture = _read(path)
    resultat = validate(fichier.format.suite, lecture)
    assert resultat.ok, [a.decrire() for a in resultat.issues]
    return fichier, lecture


def _served(ws: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(ws / "serving" / "pacte.duckdb"), read_only=True) as con:
        return con.sql(sql).fetchall()


# --- Filosofi --------------------------------------------------------------------------------------------

def test_real_filosofi_2019_epci_bom_crlf_median() -> None:
    need_real(FILO_EPCI_2019)
    raw = FILO_EPCI_2019.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
    header, body = rows[0], {r[0]: (i + 1, r) for i, r in enumerate(rows) if i > 0}
    line, row = body["200071827"]  # CA du Grand Angoulême
    expected = float(row[header.index("Q219")].replace(",", "."))
    fichier, lecture = _valid(FILO_EPCI_2019)
    assert (fichier.format.id, fichier.millesime, fichier.niveau) == ("filosofi_disp", 2019, "epci")
    land = lecture.tables["filosofi"]
    hit = land[(land.code_geo == "200071827") & (land.variable == "Q2")].iloc[0]
    assert hit.valeur == expected and hit.statut == "ok" and hit.ligne == line
    assert hit.libelle_geo == row[1]
    assert len(land.code_geo.unique()) == len(body) == 1240


def test_pauvres_breakdowns_are_landed(tmp_path: Path) -> None:
    prefixes = ([f"AGE{i}" for i in range(1, 7)] + [f"TYM{i}" for i in range(1, 7)] + [f"TME{i}" for i in range(1, 6)]
                + ["TOL1", "TOL2", "TLD2", "TLD3"] + [f"OPR{i}" for i in range(1, 7)])
    cols = ["NBMEN21", "NBPERS21", "TP6021", "TP5021", "TP4021"] + [f"TP60{p}21" for p in prefixes]
    lines = ["CODGEO;LIBGEO;" + ";".join(cols)]
    lines.append("200071827;CA du Grand Angoulême;" + ";".join(
        ["65000", "140000", "15,2", "9,1", "4,0"] + [f"{10 + i % 20},5" if i != 3 else "s" for i in range(len(prefixes))]))
    lines.append("200070514;CC Test;" + ";".join(["5000", "11000", "12,0", "s", "nd"] + ["s"] * len(prefixes)))
    path = tmp_path / "FILO2021_DISP_Pauvres_EPCI.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")
    fichier, lecture = _valid(path)
    assert fichier.format.id == "filosofi_pauvres" and fichier.niveau == "epci"
    land = lecture.tables["filosofi"].set_index(["code_geo", "variable"])
    assert land.loc[("200071827", "TP60TYM3"), "valeur"] == 18.5  # 9th breakdown column
    assert land.loc[("200071827", "TP60TME1"), "statut"] == "ok"
    assert land.loc[("200071827", "TP60AGE4"), "statut"] == "secret"
    assert land.loc[("200070514", "TP40"), "statut"] == "non_disponible"
    assert {"TP60OPR6", "TP60TLD3", "TP60TOL2"} <= set(lecture.tables["filosofi"].variable)
    path.write_text(path.read_text(encoding="utf-8-sig").replace("15,2;", "140,0;"), encoding="utf-8")
    fichier, lecture = _read(path)
    resultat = validate(fichier.format.suite, lecture)
    assert not resultat.ok and any(a.colonne == "TP60" and 2 in a.lignes for a in resultat.issues)


@pytest.mark.parametrize("variant", ["dot_lf", "comma_bom_crlf"])
def test_filosofi_2023_long_format(tmp_path: Path, variant: str) -> None:
    path = write_good("filosofi_long", tmp_path)
    text = path.read_text(encoding="utf-8")
    # An "other zoning" row (arrondissement) is not landed; a secret and a missing value.
    text += '"MED_SL";"161";"ARR";"EUR_YR";"F";"A";"0";"2023";"21000"\n'
    if variant == "comma_bom_crlf":
        text = text.replace(".", ",")
        path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    else:
        path.write_text(text, encoding="utf-8")
    fichier, lecture = _valid(path)
    assert fichier.format.id == "filosofi_long" and lecture.millesime == 2023
    land = lecture.tables["filosofi"]
    assert set(land.niveau) == {"commune", "epci", "departement", "region", "france"}
    assert lecture.info["lignes_ignorees"] == 1
    epci = land[(land.code_geo == "200071827") & (land.variable == "PR_MD60")].iloc[0]
    assert epci.statut == "ok" and 3 <= epci.valeur <= 45
    small = land[(land.niveau == "commune") & (land.variable == "PR_MD60")]
    assert (small.statut == "secret").sum() >= 28  # CONF_STATUS=C: communes under 2,000 households
    assert small[small.statut == "secret"].valeur.isna().all()
    fr = land[(land.niveau == "france") & (land.variable == "PR_MD60")].iloc[0]
    assert fr.valeur == 15.4


# --- Populations légales ---------------------------------------------------------------------------------

def test_real_populations_legales_angouleme() -> None:
    need_real(ENSEMBLE)
    wb = openpyxl.load_workbook(ENSEMBLE, read_only=True)
    ws = wb["Communes"]
    ws.reset_dimensions()
    expected = next((row[7], row[9]) for row in ws.iter_rows(min_row=9, values_only=True)
                    if row[2] == "16" and row[5] == "015")
    wb.close()
    fichier, lecture = _valid(ENSEMBLE)
    assert (lecture.millesime, lecture.geo_millesime) == (2022, 2024)
    land = lecture.tables["insee_populations_legales_valeurs"].set_index(["niveau", "code_geo", "variable"])
    assert land.loc[("commune", "16015", "PMUN"), "valeur"] == float(expected[0]) == 41423
    assert land.loc[("commune", "16015", "PTOT"), "valeur"] == float(expected[1])
    assert land.loc[("commune", "16015", "PMUN"), "libelle_geo"] == "Angoulême"
    assert land.loc[("commune", "97101", "PMUN"), "statut"] == "ok"  # DOM: 971 + 101 → 97101
    assert land.loc[("commune", "2A004", "PMUN"), "valeur"] > 60000  # Ajaccio
    communes = land.xs("commune", level="niveau")
    # 34,971 non-empty rows in the sheet (PROVENANCE.md) = 6 non-empty title rows + header + 34,964 communes
    assert communes.index.get_level_values("code_geo").nunique() == 34_964


# --- Recensement -----------------------------------------------------------------------------------------

def test_recensement_csv_and_xlsx_land_variables_without_year(tmp_path: Path) -> None:
    _, lecture = _valid(write_good("recensement", tmp_path))
    land = lecture.tables["insee_recensement_valeurs"]
    assert set(land.variable) == {"P_POP1564", "P_ACT1564", "P_CHOM1564"}
    assert set(land.millesime) == {2021} and set(land.periode) == {"2021"}
    fichier, lecture = _valid(write_good("recensement_xlsx", tmp_path))
    assert fichier.format.id == "recensement_base_cc_xlsx"
    land = lecture.tables["insee_recensement_valeurs"]
    assert {"P_RP_LOCHLMV", "C_RP_HSTU1P_SUROCC", "P_RP_VOIT1P"} <= set(land.variable)
    assert land[land.code_geo == "16001"].libelle_geo.iloc[0] == "Commune 1"
    assert land.ligne.min() == 7  # 4 title rows, labels, codes: first value on Excel row 7


def test_dossier_complet_mixes_vintages(tmp_path: Path) -> None:
    path = tmp_path / "dossier_complet.csv"
    path.write_text("CODGEO;P21_POP;P15_POP;C21_FAM;C21_FAMMONO\n16015;41423;41970;9000,5;2500,25\n", encoding="utf-8")
    _, lecture = _valid(path)
    land = lecture.tables["insee_recensement_valeurs"].set_index(["variable", "millesime"])
    assert land.loc[("P_POP", 2015), "valeur"] == 41970 and land.loc[("C_FAMMONO", 2021), "valeur"] == 2500.25


# --- CAF -------------------------------------------------------------------------------------------------

def _caf_rollup_expected(variable: str) -> dict[str, tuple[float | None, float, int]]:
    """Independent roll-up from the real file: commune → (value or None if any IRIS masked, partial sum, n)."""
    rows = list(csv.DictReader(CAF_2020.read_text(encoding="utf-8").splitlines(), delimiter=";"))
    out: dict[str, list] = {}
    for r in rows:
        if r["CODGEO"].startswith("16"):
            acc = out.setdefault(r["CODGEO"][:5], [0.0, 0, 0])
            if r[variable].strip():
                acc[0] += float(r[variable])
            else:
                acc[1] += 1
            acc[2] += 1
    return {c: (s if masked == 0 else None, s, n) for c, (s, masked, n) in out.items()}


def test_real_caf_iris_rolled_up_to_communes(besoins_ws: Path) -> None:
    need_real(CAF_2020)
    for variable in ("ARSAS", "A", "AAAH"):
        expected = _caf_rollup_expected(variable)
        got = {r[0]: r[1:] for r in _served(besoins_ws, f"""
            select code_geo, valeur, statut, valeur_partielle, nb_iris, nb_iris_masques, note_max
            from intermediate.int_besoins__caf_communes
            where variable = '{variable}' and millesime = 2020 and code_geo like '16%' and origine = 'iris'""")}
        assert set(got) == set(expected)
        for code, (valeur, partielle, n) in expected.items():
            assert got[code][0] == valeur and got[code][2] == partielle and got[code][3] == n, code
            assert got[code][1] == ("ok" if valeur is not None else "secret")
    # Angoulême has masked IRIS (NOTE 3 and 5): its RSA count stays secret, never summed as 0.
    angouleme = _served(besoins_ws, """select valeur, statut, nb_iris_masques, note_max
                                       from intermediate.int_besoins__caf_communes
                                       where code_geo = '16015' and variable = 'ARSAS' and millesime = 2020""")
    assert angouleme[0][0] is None and angouleme[0][1] == "secret" and angouleme[0][2] >= 3 and angouleme[0][3] == 5


def test_caf_iris_landing_keeps_note_and_masks(tmp_path: Path) -> None:
    need_real(CAF_2020)
    _, lecture = _valid(CAF_2020)
    land = lecture.tables["caf_valeurs"]
    row = land[(land.code_geo == "160150701") & (land.variable == "ARSAS")].iloc[0]
    assert row.statut == "secret" and row.note == 3 and row.periode == "2020-12"
    assert land[(land.code_geo == "160150101") & (land.variable == "ARSAS")].valeur.iloc[0] == 238
    assert len(land.code_geo.unique()) == 13_444


def test_caf_commune_and_epci_layouts(tmp_path: Path) -> None:
    for kind, niveau in (("caf_communes", "commune"), ("caf_epci", "epci")):
        _, lecture = _valid(write_good(kind, tmp_path))
        land = lecture.tables["caf_valeurs"]
        assert set(land.niveau) == {niveau} and set(land.periode) == {"2022-12"}
        assert {"NB_allocataire_RSA", "RSA_SOCLE_Majore", "ALL_AAH", "ALL_ASF", "ALL_bas_revenu", "Pers_bas_revenu",
                "NB_pers_couv_ress"} <= set(land.variable)
        assert land[land.statut == "secret"].valeur.isna().all()


# --- France Travail, DREES -------------------------------------------------------------------------------

def test_defm_quarters_categories_and_break(tmp_path: Path) -> None:
    _, lecture = _valid(write_good("defm", tmp_path))
    land = lecture.tables["france_travail_valeurs"]
    assert set(land.periode) == {"2023-T4", "2024-T1", "2024-T2", "2024-T3", "2024-T4", "2025-T1", "2025-T2",
                                 "2025-T3", "2025-T4"}
    f = land[(land.variable == "DEFM_F")]
    assert set(f[f.millesime < 2025].statut) == {"non_disponible"} and set(f[f.millesime == 2025].statut) == {"ok"}
    key = (land.code_geo == "200071827") & (land.periode == "2025-T4")
    values = land[key].set_index("variable").valeur
    assert values["DEFM_ABC_HORS_BRSA_JP"] < values["DEFM_ABC"]
    assert abs(values["DEFM_ABC"] - values["DEFM_A"] - values["DEFM_B"] - values["DEFM_C"]) <= 30


def test_drees_sheets_years_and_france_rows(tmp_path: Path) -> None:
    _, lecture = _valid(write_good("drees", tmp_path))
    land = lecture.tables["drees_valeurs"]
    assert set(land.variable) == {"BENEF_RSA", "TAUX_RSA", "BENEF_APA", "TAUX_APA", "BENEF_AAH", "TAUX_AAH"}
    assert set(land.millesime) == {2019, 2020, 2021, 2022, 2023} and lecture.millesime == 2023
    assert set(land[land.niveau == "france"].code_geo) == {"FM", "FE"}
    taux = land[land.variable == "TAUX_RSA"]
    assert taux.libelle_variable.iloc[0].startswith("Part des bénéficiaires du RSA")
    assert taux.valeur.between(0, 100).all()


# --- The published warehouse -----------------------------------------------------------------------------

def test_staging_models_are_published(besoins_ws: Path) -> None:
    need_real(FILO_EPCI_2019, ENSEMBLE)
    q2 = _served(besoins_ws, """select valeur from staging.stg_insee_filosofi__valeurs
                                where code_geo = '200071827' and variable = 'Q2' and millesime = 2019""")
    rows = list(csv.reader(FILO_EPCI_2019.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    line = next(r for r in rows if r[0] == "200071827")
    assert q2 == [(float(line[rows[0].index("Q219")].replace(",", ".")),)]
    assert _served(besoins_ws, """select valeur from staging.stg_insee_populations_legales__valeurs
                                  where code_geo = '16015' and variable = 'PMUN'""") == [(41423.0,)]
    counts = dict(_served(besoins_ws, """
        select 'rp', count(distinct variable) from staging.stg_insee_recensement__valeurs
        union all select 'ft', count(distinct periode) from staging.stg_france_travail__valeurs
        union all select 'drees', count(*) from staging.stg_drees__valeurs where code_geo = '16'
        union all select 'caf_epci', count(*) from staging.stg_caf__valeurs where niveau = 'epci'"""))
    assert counts["rp"] == 3 + 8 and counts["ft"] == 9 and counts["drees"] == 6 * 5
    assert counts["caf_epci"] == 2 * 11


def test_unreadable_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ensemble.xlsx"
    path.write_text("Code;Population\n16015;41423\n", encoding="utf-8")
    fichier = recognise(path)
    with pytest.raises(InvalidFile, match="classeur Excel"):
        fichier.format.load_reader()(fichier)


# --- Line ends ---------------------------------------------------------------------------------------------

def _lone_cr(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    return target


@pytest.mark.parametrize("kind", ["caf_iris", "caf_communes", "caf_epci", "defm"])
def test_lone_cr_line_ends_are_read_like_the_same_file_with_lf(kind: str, tmp_path: Path) -> None:
    """CAF and France Travail files are seen with \\r-only line ends (old Mac exports): accepted, same values
    and line numbers as the same file with \\n."""
    good = write_good(kind, tmp_path / "lf")
    cr = _lone_cr(good, tmp_path / "cr" / good.name)
    assert b"\n" not in cr.read_bytes() and cr.read_bytes().count(b"\r") == len(good.read_bytes().splitlines()) > 2
    _, expected = _valid(good)
    fichier, lecture = _valid(cr)
    assert fichier.format.id == recognise(good).format.id
    for name, frame in expected.tables.items():
        assert lecture.tables[name].equals(frame), name
    assert lecture.tables[name]["ligne"].max() == len(good.read_bytes().splitlines())


def test_real_caf_iris_with_lone_cr_line_ends(tmp_path: Path) -> None:
    need_real(CAF_2020)
    _, lecture = _valid(_lone_cr(CAF_2020, tmp_path / CAF_2020.name))
    land = lecture.tables["caf_valeurs"]
    assert land[(land.code_geo == "160150101") & (land.variable == "ARSAS")].valeur.iloc[0] == 238
    assert len(land.code_geo.unique()) == 13_444


def test_defm_a_secret_category_still_bounds_abc(tmp_path: Path) -> None:
    """With one of A, B, C secret, A + B + C ≈ ABC cannot be checked, but the published categories cannot
    exceed ABC: that bound is still checked (it used to be skipped)."""
    path = write_good("defm", tmp_path)
    rows = [line.split(";") for line in path.read_text(encoding="utf-8").splitlines()]
    col = {c: i for i, c in enumerate(rows[0])}
    row = rows[3]
    row[col["DEFM_B"]] = "s"
    path.write_text("\n".join(";".join(r) for r in rows) + "\n", encoding="utf-8")
    _, lecture = _valid(path)  # consistent: ABC ≥ A + C
    bound = lecture.checks["valeurs"]["DEFM_ABC − (catégories A, B, C publiées, une au moins secrète)"]
    assert bound.notna().sum() == 1 and bound.loc[4] == float(row[col["DEFM_ABC"]]) - float(
        row[col["DEFM_A"]]) - float(row[col["DEFM_C"]])
    row[col["DEFM_A"]] = str(int(row[col["DEFM_ABC"]]) + 100)  # A alone above ABC: inconsistent
    path.write_text("\n".join(";".join(r) for r in rows) + "\n", encoding="utf-8")
    fichier, lecture = _read(path)
    resultat = validate(fichier.format.suite, lecture)
    assert not resultat.ok
    [anomalie] = resultat.issues
    assert anomalie.colonne == "DEFM_ABC − (catégories A, B, C publiées, une au moins secrète)"
    assert anomalie.lignes == [4] and "[-30.0 ; ]" in anomalie.regle
