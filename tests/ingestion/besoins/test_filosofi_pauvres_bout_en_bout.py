"""Filosofi Pauvres files of the 2015-2018 vintages through the whole chain (`bin/pacte run`, dbt), on the real
EPCI 2024 geography of Charente and synthetic values generated in the published layouts:

- 2016: the EPCI file's prefixed breakdowns (`AGE1TP6016`, `TOL2TP6016`) are the EPCI profile indicators;
- 2017: a persons-less commune file gets EPCI rates weighted by the persons of the DISP commune file of 2017;
- 2018: the same with no DISP file but the populations légales of 2018: weighted by the population municipale;
- 2015: a commune file alone: no rate, and the run says so in French, naming the indicator.
Expected values are computed here from the generated cells, independently of the warehouse."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import duckdb
import openpyxl
import pytest

from tests.conftest import EPCI_2024, need_real, run_cli, sha256
from tests.ingestion.filosofi_vintages import Generated, write_published


def _charente() -> tuple[list[tuple[str, str, float]], dict[str, str], list[tuple[str, str, float]]]:
    wb = openpyxl.load_workbook(EPCI_2024, read_only=True)
    rows = list(wb["Composition_communale"].iter_rows(min_row=7, values_only=True))
    wb.close()
    communes = [(str(r[0]), str(r[1]), 300.0 + 37 * i) for i, r in enumerate(rows) if r[4] == "16"]
    epci_of = {str(r[0]): str(r[2]) for r in rows if r[4] == "16"}
    epcis = sorted({e for e in epci_of.values()})
    return communes, epci_of, [(e, f"EPCI {e}", 50_000.0) for e in epcis]


def _populations_legales(inbox: Path, communes: list[tuple[str, str, float]], rp: int) -> None:
    """The synthetic ensemble.xlsx (INSEE layout) with the date de référence statistique of `rp`."""
    import pandas as pd

    from demo.synthetic import insee_populations_legales as pl_synth
    from ingestion.fetch import record_origin
    from tests.conftest import sha256

    frame = pd.DataFrame({"code": [c for c, _, _ in communes], "nom": [n for _, n, _ in communes],
                          "departement": "16", "region": "75", "population": [p for _, _, p in communes]})
    before = pl_synth.RP
    pl_synth.RP = rp
    try:
        pl_synth.write_ensemble(frame, inbox / "ensemble.xlsx")
    finally:
        pl_synth.RP = before
    record_origin(inbox, sha256(inbox / "ensemble.xlsx"), synthetique=True)


@pytest.fixture(scope="module")
def pauvres_ws(tmp_path_factory: pytest.TempPathFactory) -> dict:
    need_real(EPCI_2024)
    root = tmp_path_factory.mktemp("pauvres")
    inbox = root / "inbox"
    inbox.mkdir()
    (inbox / EPCI_2024.name).symlink_to(EPCI_2024)
    communes, epci_of, epcis = _charente()
    gen: dict[str, Generated] = {
        "epci_2016": write_published(inbox, 2016, "DISP_Pauvres", "EPCI", epcis, seed=5, inbox=inbox),
        "com_2017": write_published(inbox, 2017, "DISP_Pauvres", "COM", communes, seed=6, secret_every=4, inbox=inbox),
        "disp_2017": write_published(inbox, 2017, "DISP", "COM", communes, seed=7, inbox=inbox),
        "com_2018": write_published(inbox, 2018, "DISP_Pauvres", "COM", communes, seed=8, secret_every=3, inbox=inbox),
        "com_2015": write_published(inbox, 2015, "DISP_Pauvres", "COM", communes, seed=10, inbox=inbox),
    }
    _populations_legales(inbox, communes, 2018)
    proc = run_cli("run", "--departement", "16", "--inbox", str(inbox), "--workspace", str(root / "ws"), timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return {"ws": root / "ws", "gen": gen, "epci_of": epci_of, "communes": communes, "epcis": [e for e, _, _ in epcis],
            "stdout": proc.stdout}


def _epci_rows(ws: Path, indicateur: str, millesime: int) -> dict[str, tuple]:
    with duckdb.connect(str(ws / "serving" / "pacte.duckdb"), read_only=True) as con:
        rows = con.execute("select code_epci, valeur, statut, precision_statut from marts.indicateurs_epci "
                           "where indicateur_id = ? and millesime = ?", [indicateur, millesime]).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_prefixed_breakdowns_of_2016_are_the_epci_profile_indicators(pauvres_ws: dict) -> None:
    gen = pauvres_ws["gen"]["epci_2016"]
    assert "AGE1TP6016" in gen.header and "TP60AGE116" not in gen.header  # the 2012-2018 layout
    for indicateur, column in (("tp_ref_moins30", "AGE1TP6016"), ("tp_locataires", "TOL2TP6016"),
                               ("tp_ref_75p", "AGE6TP6016"), ("taux_pauvrete_60", "TP6016")):
        rows = _epci_rows(pauvres_ws["ws"], indicateur, 2016)
        assert set(rows) == set(pauvres_ws["epcis"]), indicateur
        for epci in pauvres_ws["epcis"]:
            expected = gen.values[(epci, column)]
            assert rows[epci][:2] == (pytest.approx(expected, abs=1e-4), "ok"), (indicateur, epci)
    # The profiles reach the T0 photograph too (they used to vanish silently).
    with duckdb.connect(str(pauvres_ws["ws"] / "serving" / "pacte.duckdb"), read_only=True) as con:
        t0 = dict(con.execute("select code_territoire, valeur from marts.indicateurs_t0 where niveau = 'epci' "
                              "and indicateur_id = 'tp_ref_moins30' and millesime = 2016").fetchall())
    assert t0 == {e: pytest.approx(gen.values[(e, "AGE1TP6016")], abs=1e-4) for e in pauvres_ws["epcis"]}
    sample = pauvres_ws["epcis"][0]
    print(f"{sample}: AGE1TP6016 = {gen.values[(sample, 'AGE1TP6016')]} → tp_ref_moins30 2016 = "
          f"{_epci_rows(pauvres_ws['ws'], 'tp_ref_moins30', 2016)[sample][0]}")


def _weighted(rates: Generated, weights: dict[tuple[str, str], float | None], weight_col: str, rate_col: str,
              epci_of: dict[str, str]) -> dict[str, float]:
    num: dict[str, float] = defaultdict(float)
    den: dict[str, float] = defaultdict(float)
    for (code, col), rate in rates.values.items():
        weight = weights.get((code, weight_col))
        if col == rate_col and rate is not None and weight is not None:
            num[epci_of[code]] += rate * weight
            den[epci_of[code]] += weight
    return {e: num[e] / den[e] for e in den}


def test_persons_less_commune_rates_are_weighted_by_the_disp_persons_of_the_same_millesime(pauvres_ws: dict) -> None:
    gen = pauvres_ws["gen"]
    assert not any(c.startswith(("NBPERS", "NBMEN")) for c in gen["com_2017"].header)
    expected = _weighted(gen["com_2017"], gen["disp_2017"].values, "NBPERS17", "TP6017", pauvres_ws["epci_of"])
    _assert_rates(pauvres_ws, 2017, expected, "taux pondérés par les personnes des ménages fiscaux (2017)")


def test_without_disp_the_population_legale_of_the_same_millesime_weights(pauvres_ws: dict) -> None:
    gen = pauvres_ws["gen"]
    population = {(code, "PMUN"): float(int(p)) for code, _, p in pauvres_ws["communes"]}
    expected = _weighted(gen["com_2018"], population, "PMUN", "TP6018", pauvres_ws["epci_of"])
    _assert_rates(pauvres_ws, 2018, expected, "taux pondérés par la population municipale légale (2018)")
    # The T0 lineage names the weight, and the populations légales file is among the rate's sources.
    with duckdb.connect(str(pauvres_ws["ws"] / "serving" / "pacte.duckdb"), read_only=True) as con:
        t0 = con.execute("select millesime, ponderation, sources_sha256 from marts.indicateurs_t0 where niveau = 'epci' "
                         "and indicateur_id = 'taux_pauvrete_60' and code_territoire = ?",
                         [sorted(expected)[0]]).fetchall()
    by_year = {m: (p, s.split(",")) for m, p, s in t0}
    pl_sha = sha256(pauvres_ws["ws"].parent / "inbox" / "ensemble.xlsx")
    assert by_year[2018][0] == "population_legale" and pl_sha in by_year[2018][1]
    assert by_year[2017][0] == "personnes" and pl_sha not in by_year[2017][1]
    assert by_year[2016][0] is None  # published in the EPCI file
    assert by_year[2015][0] == "aucune"


def _assert_rates(pauvres_ws: dict, millesime: int, expected: dict[str, float], precision_attendue: str) -> None:
    rows = _epci_rows(pauvres_ws["ws"], "taux_pauvrete_60", millesime)
    assert set(expected) == set(pauvres_ws["epcis"])
    for epci, value in expected.items():
        got, statut, precision = rows[epci]
        assert got == pytest.approx(value, abs=1e-3) and statut == "estime", epci
        assert precision_attendue in precision, precision
    sample = sorted(expected)[0]
    print(f"{sample} {millesime}: attendu {expected[sample]:.4f}, entrepôt {rows[sample][0]} ({rows[sample][2]})")
    # Sub-population rates are never estimated from communes.
    assert {r[1] for r in _epci_rows(pauvres_ws["ws"], "tp_ref_moins30", millesime).values()} == {"non_disponible"}


def test_no_weight_of_the_millesime_is_said_at_the_end_of_the_run(pauvres_ws: dict) -> None:
    rows = _epci_rows(pauvres_ws["ws"], "taux_pauvrete_60", 2015)
    assert rows and all(r[0] is None and r[1] == "non_disponible" for r in rows.values())
    assert all("aucun dénominateur de 2015" in r[2] for r in rows.values())
    out = " ".join(pauvres_ws["stdout"].split())
    assert f"Taux non calculés pour {len(pauvres_ws['epcis'])} EPCI (millésime 2015) : taux_pauvrete_60" in out
    assert out.count("Taux non calculés") == 1  # 2016 (EPCI file), 2017 and 2018 (weighted) are computed
    print(out[out.index("Taux non calculés"):][:400])
