"""Every recensement vintage 2017-2022, generated in its published layout (tests/ingestion/recensement_vintages),
is recognised, read and validated; each column lands under the variable the indicators read with its own
millésime; the dossier complet lands its RP columns only; a malformed RP column is refused in French."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from expectations.runner import validate
from ingestion.errors import InvalidFile
from ingestion.registry import recognise, scan_inbox
from tests.ingestion.besoins.conftest import communes_test
from tests.ingestion.recensement_vintages import (
    COMPARAISON,
    NON_RP_COLUMNS,
    THEMES,
    column,
    variable,
    vintage_values,
    write_dossier_complet,
    write_vintage,
)


def _read(path: Path):
    fichier = recognise(path)
    assert fichier is not None, path.name
    lecture = fichier.format.load_reader()(fichier)
    resultat = validate(fichier.format.suite, lecture)
    assert resultat.ok, [a.decrire() for a in resultat.issues]
    return fichier, lecture


def _landed(lecture) -> dict[tuple[str, str, int], float]:
    land = lecture.tables["insee_recensement_valeurs"]
    return {(c, v, int(m)): x for c, v, m, x in zip(land.code_geo, land.variable, land.millesime, land.valeur,
                                                       strict=True)}


@pytest.mark.parametrize("year", range(2017, 2023))
def test_every_base_cc_of_the_vintage_lands_under_the_catalogue_variables(tmp_path: Path, year: int) -> None:
    cc = COMPARAISON[year]
    arrondissements = pd.DataFrame({"code": ["13201", "13202"], "nom": ["Marseille 1er", "Marseille 2e"],
                                    "population": [40_000, 25_000]})
    gen = write_vintage(tmp_path, year, communes_test(), seed=year, xlsx=("logement",) if year == 2018 else (),
                        meta_encoding="cp1252" if year == 2017 else "utf-8", arm=arrondissements)
    # Data files only: each meta file is read with its data file (also beside the xlsx base).
    known, unknown = scan_inbox(tmp_path)
    assert sorted(k.path.name for k in known) == sorted(g.path.name for g in gen.values()) and unknown == []
    assert all(k.millesime == year for k in known)
    landed: dict[tuple[str, str, int], float] = {}
    for theme, g in gen.items():
        fichier, lecture = _read(g.path)
        assert g.path.suffix == (".xlsx" if year == 2018 and theme == "logement" else ".CSV")
        assert lecture.millesime == year and lecture.info["fichier_dictionnaire"] == theme
        assert g.meta is not None and g.meta.name in lecture.info["dictionnaires"]
        assert f"recensement_{year}.csv" in lecture.info["dictionnaires"]
        assert lecture.info["colonnes_non_chargees"] == []
        landed |= _landed(lecture)
    code = "16001"
    suroccupation = "C_RP_SUROCC_MOD" if year >= 2022 else "C_RP_HSTU1P_SUROCC"
    for name in ("P_CHOM1564", "P_ACT1564", "C_FAMMONO", "C_FAM", "P_NSCOL15P_DIPLMIN", "P_NSCOL15P",
                 suroccupation, "P_POP80P_PSEUL", "P_MEN"):
        published = column(name, year)
        theme = next(t for t in THEMES if published in gen[t].header)
        assert landed[(code, name, year)] == pytest.approx(gen[theme].values[(code, published)]), name
    if year == 2019:  # the unemployed are published as P19_CHOMEUR1564
        assert "P19_CHOMEUR1564" in gen["emploi-pop-active"].header
    if year == 2018:  # the xlsx base: sheets COM_2018 and ARM_2018
        assert landed[("13202", "P_RP", 2018)] == pytest.approx(gen["logement"].values[("13202", "P18_RP")])
    # The older vintage re-expressed in the file keeps its own millésime.
    ccyy = f"{cc % 100:02d}"
    assert landed[(code, "P_CHOM1564", cc)] == pytest.approx(gen["emploi-pop-active"].values[(code,
                                                                                              f"P{ccyy}_CHOM1564")])
    assert {m for (_, _, m) in landed} == {year, cc}
    if 2013 <= cc <= 2016:  # diplomas of 2013-2016: "no diploma or at most the BEPC", never the indicator's
        assert (code, "P_NSCOL15P_DIPLMIN", cc) not in landed
        assert landed[(code, "P_NSCOL15P_DIPLMIN_BEPC", cc)] == pytest.approx(
            gen["diplomes-formation"].values[(code, f"P{ccyy}_NSCOL15P_DIPLMIN")])


@pytest.mark.parametrize("year", range(2017, 2023))
def test_dossier_complet_lands_its_rp_columns_only(tmp_path: Path, year: int) -> None:
    yy = f"{year % 100:02d}"
    gen = write_dossier_complet(tmp_path, year, vintage_values(communes_test(), year, seed=7))
    known, unknown = scan_inbox(tmp_path)
    assert [k.path.name for k in known] == ["dossier_complet.csv"] and unknown == []
    fichier, lecture = _read(gen.path)
    assert fichier.format.id == "recensement_dossier_complet" and lecture.millesime == year
    non_rp = [c for c in gen.header[1:] if c.startswith(NON_RP_COLUMNS)]
    assert f"MED{yy}" in non_rp and f"TP60{yy}" in non_rp and f"NBMENFISC{yy}" in non_rp and f"ETTOT{yy}" in non_rp
    assert set(lecture.info["colonnes_non_chargees"]) == set(non_rp)
    land = lecture.tables["insee_recensement_valeurs"]
    assert not set(land.variable) & {"MED", "TP60", "NBMENFISC", "ETTOT", "SUPERF"}
    assert set(land.variable) == {variable(c) for c in gen.header[1:] if c not in non_rp}
    landed = _landed(lecture)
    assert "D99_POP" in non_rp and "SUPERF" in non_rp
    assert landed[("16001", "C_FAMMONO", year)] == pytest.approx(gen.values[("16001", f"C{yy}_FAMMONO")])
    assert landed[("16001", "P_POP", COMPARAISON[year])] == pytest.approx(
        gen.values[("16001", f"P{COMPARAISON[year] % 100:02d}_POP")])

    # Without its meta file, the non-RP columns are still recognised (encoded dictionary, or not RP-shaped).
    gen.meta.unlink()
    (tmp_path / "autre").mkdir()
    extra = write_dossier_complet(tmp_path / "autre", year, vintage_values(communes_test(), year, seed=7), meta=False)
    text = extra.path.read_text(encoding="utf-8").splitlines()
    extra.path.write_text("\n".join([text[0] + ";CPG23;HT023", *[line + ";2;0" for line in text[1:]]]) + "\n",
                          encoding="utf-8")
    _, lecture = _read(extra.path)
    assert {"CPG23", "HT023", f"MED{yy}"} <= set(lecture.info["colonnes_non_chargees"])


@pytest.mark.parametrize("bad", ["P2X_POP", "p21_pop", "C21FAM_"])
def test_a_malformed_rp_column_is_refused_naming_file_column_and_row(tmp_path: Path, bad: str) -> None:
    gen = write_dossier_complet(tmp_path, 2021, vintage_values(communes_test(), 2021, seed=8))
    text = gen.path.read_text(encoding="utf-8").splitlines()
    gen.path.write_text("\n".join([text[0] + f";{bad}", *[line + ";12" for line in text[1:]]]) + "\n",
                        encoding="utf-8")
    fichier = recognise(gen.path)
    assert fichier is not None
    if bad == "C21FAM_":  # no "_" after the vintage: not an RP name, set aside
        assert bad in fichier.format.load_reader()(fichier).info["colonnes_non_chargees"]
        return
    with pytest.raises(InvalidFile) as err:
        fichier.format.load_reader()(fichier)
    message = err.value.message()
    assert "dossier_complet.csv" in message and bad in message and "ligne" in message, message
    assert "nom de colonne non conforme au recensement" in message


def test_a_meta_file_describes_an_rp_vintage_without_encoded_dictionary(tmp_path: Path) -> None:
    """RP 2023 (not encoded yet): the columns land by their names, the meta file lends its labels."""
    path = tmp_path / "base-cc-emploi-pop-active-2023.CSV"
    path.write_text("CODGEO;P23_POP1564;P23_ACT1564;P23_CHOM1564;P17_CHOM1564\n16001;1000;700;70,5;80\n",
                    encoding="utf-8")
    (tmp_path / "meta_base-cc-emploi-pop-active-2023.CSV").write_bytes(
        "COD_VAR;LIB_VAR;LIB_VAR_LONG;COD_MOD;LIB_MOD;TYPE_VAR;LONG_VAR\r\n"
        "P23_CHOM1564;Chômeurs 15-64 ans en 2023 (princ);Chômeurs;;;NUM;\r\n".encode("cp1252"))
    _, lecture = _read(path)
    assert lecture.info["dictionnaires"] == ["meta_base-cc-emploi-pop-active-2023.CSV"]
    landed = _landed(lecture)
    assert landed[("16001", "P_CHOM1564", 2023)] == 70.5 and landed[("16001", "P_CHOM1564", 2017)] == 80


@pytest.mark.parametrize("year", range(2017, 2023))
def test_each_vintage_dictionary_maps_every_variable_the_catalogue_reads(year: int) -> None:
    import csv

    from ingestion.dictionaries import UNITES, encoded
    from tests.conftest import REPO

    seed = (REPO / "dbt_project" / "seeds" / "map_variables__indicateurs.csv").read_text(encoding="utf-8")
    wanted = {r["variable"] for r in csv.DictReader(seed.splitlines()) if r["source_id"] == "insee_recensement"}
    yy = f"{year % 100:02d}"
    themes = {t: encoded("insee_recensement", year, t) for t in THEMES}
    dossier = encoded("insee_recensement", year, "dossier_complet")
    for fichier in [*themes.values(), dossier]:
        assert {v.unite for v in fichier.values()} <= set(UNITES)
    current = {v.variable: code for t in themes.values() for code, v in t.items() if code[1:3] == yy}
    # RP 2022 no longer publishes overcrowding without the one-person studios (taux_suroccupation): a break
    # in the definition, not a renaming; its new counts land under their own names.
    rupture = {"C_RP_HSTU1P", "C_RP_HSTU1P_SUROCC"} if year >= 2022 else set()
    assert wanted - rupture <= set(current), wanted - rupture - set(current)
    assert not rupture & set(current)
    assert all(dossier[code].variable == variable for variable, code in current.items() if variable in wanted)
    assert not any(v.variable for code, v in dossier.items() if not code.startswith(("P", "C")))  # non-RP: not landed


def test_the_long_name_of_the_families_base_reads_the_coupl_fam_men_dictionary(tmp_path: Path) -> None:
    from tests.ingestion.recensement_vintages import layout

    values = vintage_values(communes_test(), 2019, seed=9)
    columns = layout("coupl-fam-men", 2019)
    path = tmp_path / "base-cc-couples-familles-menages-2019.csv"
    values[["CODGEO", *columns]].to_csv(path, sep=";", index=False, lineterminator="\n")
    fichier, lecture = _read(path)
    assert fichier.millesime == 2019 and lecture.info["fichier_dictionnaire"] == "coupl-fam-men"
    assert lecture.info["dictionnaires"] == ["recensement_2019.csv"]
    assert _landed(lecture)[("16001", "C_FAMMONO", 2019)] == float(values.loc[0, "C19_FAMMONO"])
