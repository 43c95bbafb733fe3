"""The foundation acceptance test on real INSEE files: Charente, Filosofi 2021, COG 2024."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.conftest import EPCI_2024, FILOSOFI_2021


@pytest.fixture(scope="module")
def served(charente_ws: Path):
    con = duckdb.connect(str(charente_ws / "serving" / "pacte.duckdb"), read_only=True)
    yield con
    con.close()


def test_angouleme_poverty_rate_2021(served) -> None:
    row = served.execute(
        "select valeur, statut, geo_millesime, libelle, code_epci from marts.indicateurs_commune "
        "where code_commune = '16015' and indicateur_id = 'taux_pauvrete_60' and millesime = 2021").fetchall()
    assert row == [(26.0, "ok", 2024, "Angoulême", "200071827")]


def test_every_charente_epci_of_cog_2024_has_a_row(served) -> None:
    compo = pd.read_excel(EPCI_2024, sheet_name="Composition_communale", skiprows=5, dtype=str)
    expected = set(compo.loc[compo.DEP == "16", "EPCI"])
    assert len(expected) == 9
    got = {r[0] for r in served.execute(
        "select code_epci from marts.indicateurs_epci where code_departement = '16' "
        "and indicateur_id = 'taux_pauvrete_60' and millesime = 2021").fetchall()}
    assert got == expected


def test_secret_cells_are_null_with_statut_secret(served) -> None:
    raw = pd.read_csv(FILOSOFI_2021, sep=";", dtype=str)
    secret_codes = set(raw.loc[raw.CODGEO.str.startswith("16") & (raw.TP6021 == "s"), "CODGEO"])
    assert len(secret_codes) == 334
    rows = served.execute(
        "select code_commune, valeur, statut from marts.indicateurs_commune "
        "where indicateur_id = 'taux_pauvrete_60' and code_departement = '16' and statut = 'secret'").fetchall()
    assert {r[0] for r in rows} == secret_codes
    assert all(r[1] is None for r in rows)
    assert served.execute("select count(*) from marts.indicateurs_commune "
                          "where statut in ('secret', 'non_disponible') and valeur is not null").fetchone()[0] == 0


def test_epci_estimate_is_recomputed_from_persons_not_averaged(served) -> None:
    """Σ(taux × personnes)/Σ(personnes) over published communes, computed here independently with pandas."""
    raw = pd.read_csv(FILOSOFI_2021, sep=";", dtype=str)
    compo = pd.read_excel(EPCI_2024, sheet_name="Composition_communale", skiprows=5, dtype=str)
    epci = "200071827"  # Grand Angoulême
    communes = set(compo.loc[compo.EPCI == epci, "CODGEO"])
    sub = raw[raw.CODGEO.isin(communes)].copy()
    sub["pers"] = sub.NBPERSMENFISC21.astype(float)
    published = sub[sub.TP6021 != "s"]
    rate = (published.TP6021.str.replace(",", ".").astype(float) * published.pers).sum() / published.pers.sum()
    covered = round(100 * published.pers.sum() / sub.pers.sum(), 1)
    valeur, statut, part = served.execute(
        "select valeur, statut, part_population_couverte from marts.indicateurs_epci "
        "where code_epci = ? and indicateur_id = 'taux_pauvrete_60' and millesime = 2021", [epci]).fetchone()
    assert statut == "estime"
    assert valeur == pytest.approx(rate, abs=1e-4)
    assert part == covered
    # A plain mean of the published rates would differ: the mart must not be that.
    assert abs(valeur - published.TP6021.str.replace(",", ".").astype(float).mean()) > 0.5


def test_medians_are_never_estimated_from_communes(served) -> None:
    rows = served.execute("select distinct statut, valeur is null from marts.indicateurs_epci "
                          "where indicateur_id = 'niveau_vie_median'").fetchall()
    assert rows == [("non_disponible", True)]


def test_lineage_and_status(charente_ws: Path, served) -> None:
    prov = served.execute("select source_id, fichier, millesime, geo_millesime, donnees_synthetiques "
                          "from marts.provenance order by source_id").fetchall()
    assert prov == [("cog_insee", "EPCI_au_01-01-2024.xlsx", None, 2024, False),
                    ("insee_filosofi", "cc_filosofi_2021_COM.csv", 2021, None, False)]
    lineage = served.execute("select distinct _fichier, _millesime, length(_sha256), _run_id is not null "
                             "from raw.filosofi").fetchall()
    assert lineage == [("cc_filosofi_2021_COM.csv", 2021, 64, True)]
    from tests.conftest import run_cli

    proc = run_cli("status", "--workspace", str(charente_ws))
    assert proc.returncode == 0
    assert "cc_filosofi_2021_COM.csv" in proc.stdout and "Entrepôt publié" in proc.stdout


def test_epci_poor_persons_count_secret_communes_at_the_covered_rate(served) -> None:
    """Issue 17: without an EPCI file, an EPCI's poor persons were the sum over communes with a published rate
    (secret communes as 0: 1.3 to 9.6 times too low). Now: rate of the covered communes × persons of all
    communes, recomputed here with pandas from the raw file and the COG composition, for every Charente EPCI,
    the département and France (the national file)."""
    raw = pd.read_csv(FILOSOFI_2021, sep=";", dtype=str)
    raw["pers"] = pd.to_numeric(raw.NBPERSMENFISC21, errors="coerce")  # `s` for the smallest communes
    raw["pauvres"] = pd.to_numeric(raw.TP6021.str.replace(",", "."), errors="coerce") * raw.pers / 100
    compo = pd.read_excel(EPCI_2024, sheet_name="Composition_communale", skiprows=5, dtype=str)

    def estimate(communes: pd.DataFrame) -> tuple[float, float, float]:
        covered = communes[communes.pauvres.notna()]
        count = covered.pauvres.sum() / covered.pers.sum() * communes.pers.sum()
        return count, covered.pauvres.sum(), round(100 * covered.pers.sum() / communes.pers.sum(), 1)

    rows = served.execute(
        "select code_epci, valeur, statut, part_population_couverte, valeur_departement, valeur_france "
        "from marts.indicateurs_epci where code_departement = '16' and indicateur_id = 'nb_personnes_pauvres' "
        "and millesime = 2021 order by code_epci").fetchall()
    assert len(rows) == 9
    ratios = {}
    for code, valeur, statut, part, *_ in rows:
        expected, partial, covered = estimate(raw[raw.CODGEO.isin(compo.loc[compo.EPCI == code, "CODGEO"])])
        assert statut == "estime"
        assert valeur == pytest.approx(expected, abs=1e-3), code
        assert part == covered
        ratios[code] = expected / partial
    assert ratios["200071827"] == pytest.approx(1.287, abs=1e-3)  # Grand Angoulême: 77.7 % covered
    assert ratios["200072023"] == pytest.approx(9.584, abs=1e-3)  # Cœur de Charente: 10.4 % covered
    departement, france = {(r[4], r[5]) for r in rows}.pop()  # the same on every row
    assert departement == pytest.approx(estimate(raw[raw.CODGEO.str.startswith("16")])[0], abs=1e-3)
    # France: communes of COG 2024 (the file's arrondissements of Paris, Lyon, Marseille are not communes).
    assert france == pytest.approx(estimate(raw[raw.CODGEO.isin(compo.CODGEO)])[0], abs=1e-3)


def test_an_epci_without_any_commune_in_the_file_appears_unknown_with_its_reason(tmp_path: Path) -> None:
    """A file cut without the communes of one EPCI (small communes left out, an extract of part of the
    département) does not make the build fail: that EPCI appears, its values unknown, with the reason."""
    import openpyxl

    from tests.conftest import EPCI_2024, FILOSOFI_2021, charente_filosofi, need_real, run_cli

    need_real(FILOSOFI_2021, EPCI_2024)
    table = list(openpyxl.load_workbook(EPCI_2024, read_only=True)["Composition_communale"].iter_rows(values_only=True))
    siren = next(r for r in table if r and r[0] == "CODGEO").index("EPCI")
    rows = [r for r in table if r and isinstance(r[0], str) and r[0][:2] == "16"]
    epci = "200071827"  # Grand Angoulême: all its communes left out of the file
    left_out = {r[0] for r in rows if r[siren] == epci}
    assert left_out
    inbox = tmp_path / "inbox"
    source = charente_filosofi(tmp_path / "full.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    inbox.mkdir()
    (inbox / "cc_filosofi_2021_COM.csv").write_text(
        source[0] + "".join(line for line in source[1:] if line.split(";")[0].strip('"') not in left_out),
        encoding="utf-8")
    (inbox / EPCI_2024.name).symlink_to(EPCI_2024)
    proc = run_cli("run", "--departement", "16", "--inbox", str(inbox), "--workspace", str(tmp_path / "ws"))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    with duckdb.connect(str(tmp_path / "ws" / "serving" / "pacte.duckdb"), read_only=True) as con:
        rows = con.execute("select statut, precision_statut, valeur from marts.indicateurs_epci "
                           "where code_epci = ? and indicateur_id = 'taux_pauvrete_60'", [epci]).fetchall()
        others = con.execute("select count(*) from marts.indicateurs_epci where code_epci <> ? and "
                             "indicateur_id = 'taux_pauvrete_60' and valeur is not null", [epci]).fetchone()[0]
    assert rows == [("non_disponible", "aucune donnée pour les communes de cet EPCI dans les fichiers chargés", None)]
    assert others == 8
