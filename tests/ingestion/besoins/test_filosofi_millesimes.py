"""Every Filosofi wide vintage 2012-2021 (DISP and DISP_Pauvres), generated in its published layout from the
encoded dictionaries, is read with the units of its dictionary; values land under the variable the indicators
read."""

from __future__ import annotations

from pathlib import Path

import pytest

from expectations.runner import validate
from ingestion.registry import recognise, scan_inbox
from tests.ingestion.filosofi_vintages import write_published

EPCI = [("200071827", "CA du Grand Angoulême", 140_000.0), ("200070514", "CC Test", 11_000.0),
        ("200041689", "CA de Saintes", 60_000.0)]


def _read(path: Path):
    fichier = recognise(path)
    assert fichier is not None, path.name
    return fichier, fichier.format.load_reader()(fichier)


def _landed(lecture) -> dict[tuple[str, str], tuple[float | None, str]]:
    land = lecture.tables["filosofi"]
    return {(c, v): (None if x != x else x, s)
            for c, v, x, s in zip(land.code_geo, land.variable, land.valeur, land.statut, strict=True)}


@pytest.mark.parametrize("year", range(2012, 2022))
@pytest.mark.parametrize("fichier", ["DISP", "DISP_Pauvres"])
def test_every_vintage_is_accepted_with_its_dictionary_units(tmp_path: Path, year: int, fichier: str) -> None:
    gen = write_published(tmp_path, year, fichier, "EPCI", EPCI, seed=1, secret_every=3)
    found, lecture = _read(gen.path)
    assert found.millesime == year and found.niveau == "epci"
    resultat = validate(found.format.suite, lecture)
    assert resultat.ok, [a.decrire() for a in resultat.issues]
    assert lecture.info["hors_dictionnaire"] == []
    landed = _landed(lecture)
    for (code, col), value in gen.values.items():
        var = gen.dictionary[col]
        got, statut = landed[(code, var.variable)]
        assert (got, statut) == ((value, "ok") if value is not None else (None, "secret")), (code, col)
    if fichier == "DISP_Pauvres":
        yy = f"{year % 100:02d}"
        # Prefixed breakdowns (2012-2018) and suffixed ones (2019-2021) land under the same variable.
        age1 = f"AGE1TP60{yy}" if year <= 2018 else f"TP60AGE1{yy}"
        assert age1 in gen.header and gen.dictionary[age1].variable == "TP60AGE1"
        assert landed[("200071827", "TP60AGE1")] == (gen.values[("200071827", age1)], "ok")
        # A median of the poor in euros (well above 100) and an intensity (a ratio) are accepted as such.
        q2 = gen.values[("200071827", f"TP60Q2{yy}")]
        assert q2 is not None and q2 > 100 and landed[("200071827", "TP60Q2")] == (q2, "ok")
        assert lecture.info["unites"]["TP60Q2"] == "euros" and lecture.info["unites"]["TP60IP"] == "ratio"
        assert lecture.info["unites"]["TP60AGE1"] == "pourcentage"


def test_a_prefixed_rate_above_100_is_refused_under_its_variable(tmp_path: Path) -> None:
    gen = write_published(tmp_path, 2016, "DISP_Pauvres", "EPCI", EPCI, seed=2)
    text = gen.path.read_bytes().decode("utf-8-sig").splitlines()
    header = text[0].split(";")
    cells = text[2].split(";")
    cells[header.index("AGE1TP6016")] = "140,0"
    cells[header.index("TP60Q216")] = "-5"
    gen.path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join([text[0], text[1], ";".join(cells), *text[3:]]).encode())
    found, lecture = _read(gen.path)
    resultat = validate(found.format.suite, lecture)
    assert not resultat.ok
    refused = {(a.colonne, tuple(a.lignes or [])) for a in resultat.issues}
    assert ("TP60AGE1", (3,)) in refused and ("TP60Q2", (3,)) in refused  # file line 3


def test_meta_file_beside_the_data_file_extends_the_dictionary(tmp_path: Path) -> None:
    gen = write_published(tmp_path, 2016, "DISP_Pauvres", "EPCI", EPCI, seed=3)
    lines = gen.path.read_bytes().decode("utf-8-sig").splitlines()
    # Two columns the encoded dictionary does not know: a median in euros and a rate.
    lines[0] += ";TP60D116;TME1TP6016"
    lines[1:] = [line + ";8450;12,5" for line in lines[1:]]
    gen.path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8"))
    _, lecture = _read(gen.path)
    assert set(lecture.info["hors_dictionnaire"]) == {"TP60D116", "TME1TP6016"}
    assert lecture.info["unites"]["TP60D1"] == "inconnue"

    meta = tmp_path / "meta_FILO2016_DISP_Pauvres_EPCI.csv"
    meta.write_text(
        "COD_VAR;LIB_VAR;LIB_VAR_LONG;COD_MOD;LIB_MOD;TYPE_VAR;LONG_VAR\n"
        "CODGEO;Code géographique;Code géographique;;;CHAR;9\n"
        "TP60D116;1er décile du niveau de vie des pauvres (€);1er décile;;;NUM;8\n"
        "TME1TP6016;Taux de pauvreté des ménages d'une personne (%);Taux;;;NUM;5\n"
        "AGE1TP6016;Taux de pauvreté des moins de 30 ans (%);Libellé publié;;;NUM;5\n", encoding="cp1252")
    found, lecture = _read(gen.path)
    assert lecture.info["hors_dictionnaire"] == []
    assert lecture.info["unites"]["TP60D1"] == "euros" and lecture.info["unites"]["TME1TP60"] == "pourcentage"
    assert lecture.info["unites"]["TP60AGE1"] == "pourcentage"  # the encoded unit and variable are kept
    assert "meta_FILO2016_DISP_Pauvres_EPCI.csv" in lecture.info["dictionnaires"]
    assert validate(found.format.suite, lecture).ok
    assert _landed(lecture)[("200071827", "TP60D1")] == (8450.0, "ok")
    # The meta file is read with its data file: neither a file of its own nor an unknown one.
    known, unknown = scan_inbox(tmp_path)
    assert [k.path.name for k in known] == [gen.path.name] and unknown == []


def test_real_2019_disp_header_is_the_encoded_one() -> None:
    from tests.conftest import need_real
    from tests.ingestion.besoins.conftest import FILO_EPCI_2019

    need_real(FILO_EPCI_2019)
    _, lecture = _read(FILO_EPCI_2019)
    assert lecture.info["hors_dictionnaire"] == []
    assert lecture.info["unites"]["Q2"] == "euros" and lecture.info["unites"]["GI"] == "ratio"
    from ingestion.dictionaries import encoded

    header = FILO_EPCI_2019.read_bytes().decode("utf-8-sig").splitlines()[0].split(";")
    assert header == list(encoded("insee_filosofi", 2019, "DISP"))


def _long_2021(folder: Path, name: str, years: tuple[int, ...] = (2021,)) -> Path:
    import csv

    import pandas as pd

    from demo.synthetic import filosofi as filo_synth
    from tests.ingestion.besoins.conftest import communes_test, epci_of_test

    frames = [filo_synth.synthetic_filosofi_long(communes_test(), epci_of_test(), y, seed=y) for y in years]
    path = folder / name
    pd.concat(frames).to_csv(path, sep=";", index=False, lineterminator="\n", quoting=csv.QUOTE_ALL)
    return path


def test_filosofi_2021_republished_in_long_format_takes_its_millesime_from_time_period(tmp_path: Path) -> None:
    path = _long_2021(tmp_path, "DS_FILOSOFI_CC_data.csv")
    found, lecture = _read(path)
    assert found.format.id == "filosofi_long" and found.millesime is None  # no year in the name
    assert validate(found.format.suite, lecture).ok
    land = lecture.tables["filosofi"]
    assert lecture.millesime == 2021 and set(land.millesime) == {2021}
    assert lecture.info["hors_dictionnaire"] == []
    epci = land[(land.code_geo == "200071827") & (land.variable == "PR_MD60")].iloc[0]
    raw = path.read_text(encoding="utf-8")
    published = next(line for line in raw.splitlines() if '"PR_MD60";"200071827";"EPCI"' in line)
    assert epci.valeur == float(published.split(";")[-1].strip('"')) and epci.statut == "ok"

    # A Melodi export of two vintages: each row keeps its TIME_PERIOD.
    (tmp_path / "deux").mkdir()
    both = _long_2021(tmp_path / "deux", "DS_FILOSOFI_CC_data.csv", years=(2021, 2023))
    found, lecture = _read(both)
    assert validate(found.format.suite, lecture).ok
    assert set(lecture.tables["filosofi"].millesime) == {2021, 2023}

    # A year in the name must agree with TIME_PERIOD; a poverty rate stays a percentage (2021 dictionary).
    (tmp_path / "nom").mkdir()
    wrong = _long_2021(tmp_path / "nom", "DS_FILOSOFI_CC_2023_data.csv")
    found, lecture = _read(wrong)
    resultat = validate(found.format.suite, lecture)
    assert not resultat.ok and any(a.colonne == "TIME_PERIOD" for a in resultat.issues)
    text = path.read_text(encoding="utf-8").replace(f'"EPCI";"PT";"F";"A";"0";"2021";"{epci.valeur:g}"',
                                                    '"EPCI";"PT";"F";"A";"0";"2021";"140"', 1)
    assert '"140"' in text
    path.write_text(text, encoding="utf-8")
    found, lecture = _read(path)
    resultat = validate(found.format.suite, lecture)
    assert not resultat.ok and any(a.colonne == "OBS_VALUE" for a in resultat.issues)


def test_real_2021_commune_header_is_the_encoded_one() -> None:
    from ingestion.dictionaries import encoded
    from tests.conftest import FILOSOFI_2021, need_real

    need_real(FILOSOFI_2021)
    with FILOSOFI_2021.open(encoding="utf-8") as fh:
        header = fh.readline().strip().split(";")
    assert header == list(encoded("insee_filosofi", 2021, "cc"))


def test_unreadable_meta_file_refuses_its_data_file_in_french(tmp_path: Path) -> None:
    from ingestion.errors import InvalidFile

    gen = write_published(tmp_path, 2017, "DISP_Pauvres", "COM", [("16015", "Angoulême", 40_000.0)], seed=4)
    (tmp_path / "meta_FILO2017_DISP_Pauvres_COM.csv").write_text("variable,libelle\nTP6017,Taux\n", encoding="utf-8")
    with pytest.raises(InvalidFile) as err:
        _read(gen.path)
    assert "dictionnaire des variables illisible" in str(err.value.anomalies[0].regle)
    assert "COD_VAR;LIB_VAR;LIB_VAR_LONG" in str(err.value.anomalies[0].regle)
