"""Recensement vintages 2017 to 2022 through the whole chain (one `bin/pacte run`, one dbt build), on the real
EPCI 2024 geography of Charente and synthetic values generated in each vintage's published layout:

- 2017, 2019, 2021, 2022: the five base-cc files (`.CSV`, meta file beside each), 2018 with its logement base
  as xlsx; 2020: the dossier complet alone, with its Filosofi, births and establishment columns.
- Each EPCI indicator equals the sum of its communes' numerators over the sum of their denominators, computed
  here from the generated cells, for every vintage, and carries that vintage as its millésime.
- RP 2019 publishes the unemployed as `P19_CHOMEUR1564`: its `taux_chomage_rp` is computed all the same.
- RP 2022 no longer publishes overcrowding without one-person studios: no `taux_suroccupation` for 2022.
- The 2013-2016 diplomas re-expressed by RP 2018-2022 (no diploma or at most the BEPC) never make a value of
  `part_actifs_peu_diplomes` (defined on "no diploma or at most the CEP").
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from tests.conftest import EPCI_2024, need_real, run_cli, sha256
from tests.ingestion.recensement_vintages import (
    Generated,
    variable,
    vintage_values,
    write_dossier_complet,
    write_vintage,
)

VINTAGES = range(2017, 2023)
DOSSIER = 2020
# indicator → (numerator column, denominator column), without the vintage
INDICATEURS = {"taux_chomage_rp": ("P_CHOM1564", "P_ACT1564"), "part_familles_mono": ("C_FAMMONO", "C_FAM"),
               "part_actifs_peu_diplomes": ("P_NSCOL15P_DIPLMIN", "P_NSCOL15P"),
               "taux_suroccupation": ("C_RP_HSTU1P_SUROCC", "C_RP_HSTU1P")}


def _charente() -> tuple[pd.DataFrame, dict[str, str]]:
    wb = openpyxl.load_workbook(EPCI_2024, read_only=True)
    rows = list(wb["Composition_communale"].iter_rows(min_row=7, values_only=True))
    wb.close()
    charente = [r for r in rows if r[4] == "16"]
    communes = pd.DataFrame({"code": [str(r[0]) for r in charente], "nom": [str(r[1]) for r in charente],
                             "population": [300.0 + 37 * i for i in range(len(charente))]})
    return communes, {str(r[0]): str(r[2]) for r in charente}


@pytest.fixture(scope="module")
def rp_ws(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from ingestion.fetch import record_origin

    need_real(EPCI_2024)
    root = tmp_path_factory.mktemp("recensement")
    inbox = root / "inbox"
    inbox.mkdir()
    (inbox / EPCI_2024.name).symlink_to(EPCI_2024)
    communes, epci_of = _charente()
    values: dict[int, dict[tuple[str, str], float]] = {}
    for year in VINTAGES:
        folder = inbox / f"rp{year}"
        if year == DOSSIER:
            written: list[Generated] = [write_dossier_complet(folder, year, vintage_values(communes, year, seed=year))]
        else:
            written = list(write_vintage(folder, year, communes, seed=year,
                                         xlsx=("logement",) if year == 2018 else ()).values())
        values[year] = {k: v for g in written for k, v in g.values.items()}
        for g in written:
            record_origin(inbox, sha256(g.path), synthetique=True)
    proc = run_cli("run", "--departement", "16", "--inbox", str(inbox), "--workspace", str(root / "ws"), timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return {"ws": root / "ws", "values": values, "epci_of": epci_of}


def _epci_rows(ws: Path, indicateur: str) -> dict[tuple[str, int], tuple]:
    with duckdb.connect(str(ws / "serving" / "pacte.duckdb"), read_only=True) as con:
        rows = con.execute("select code_epci, millesime, valeur, statut from marts.indicateurs_epci "
                           "where indicateur_id = ?", [indicateur]).fetchall()
    return {(r[0], r[1]): r[2:] for r in rows}


def _expected(values: dict[tuple[str, str], float], epci_of: dict[str, str], num: str, den: str) -> dict[str, float]:
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for (code, column), value in values.items():
        name = variable(column) if column[1:3].isdigit() else None
        if name in (num, den) and code in epci_of:
            sums[epci_of[code]][0 if name == num else 1] += value
    return {e: 100 * n / d for e, (n, d) in sums.items() if d}


@pytest.mark.parametrize("indicateur", list(INDICATEURS))
def test_every_vintage_gives_the_epci_ratio_of_its_communes(rp_ws: dict, indicateur: str) -> None:
    num, den = INDICATEURS[indicateur]
    rows = _epci_rows(rp_ws["ws"], indicateur)
    for year in VINTAGES:
        if indicateur == "taux_suroccupation" and year >= 2022:  # definition break: no C22_RP_HSTU1P_SUROCC
            assert not any(r[0] is not None for (e, m), r in rows.items() if m == year)
            continue
        yy = f"{year % 100:02d}"
        current = {k: v for k, v in rp_ws["values"][year].items() if k[1][1:3] == yy}
        expected = _expected(current, rp_ws["epci_of"], num, den)
        assert expected and set(expected) == {e for (e, m) in rows if m == year}, (indicateur, year)
        for epci, value in expected.items():
            got, statut = rows[(epci, year)]  # the mart rounds to 4 decimals
            assert statut == "ok" and got == pytest.approx(value, abs=1e-4), (indicateur, year, epci)
    sample = sorted(expected)[0]
    print(f"{indicateur} {sample}: " + ", ".join(f"{y} = {rows[(sample, y)][0]:.3f}" for y in VINTAGES
                                               if (sample, y) in rows and rows[(sample, y)][0] is not None))


def test_old_nomenclature_diplomas_never_make_the_indicator(rp_ws: dict) -> None:
    rows = _epci_rows(rp_ws["ws"], "part_actifs_peu_diplomes")
    assert {m for (_, m) in rows if m is not None} == set(VINTAGES)
    with duckdb.connect(str(rp_ws["ws"] / "serving" / "pacte.duckdb"), read_only=True) as con:
        landed = con.execute("select count(*) from staging.stg_insee_recensement__valeurs "
                             "where variable = 'P_NSCOL15P_DIPLMIN_BEPC' and millesime = 2016").fetchone()[0]
    assert landed == len(rp_ws["epci_of"])  # landed under its own name, one value per commune
    assert not _epci_rows(rp_ws["ws"], "part_actifs_peu_diplomes").keys() & {(e, m) for e in rp_ws["epci_of"].values()
                                                                            for m in (2013, 2014, 2015, 2016)}


def test_dossier_complet_lineage_lists_the_columns_not_landed(rp_ws: dict) -> None:
    import json

    manifest = json.loads((rp_ws["ws"] / "landing" / "_manifest.json").read_text(encoding="utf-8"))
    dossier = [e for e in manifest.values() if e["fichier"] == "dossier_complet.csv"]
    assert len(dossier) == 1 and dossier[0]["millesime"] == DOSSIER
    assert {"MED20", "TP6020", "NBMENFISC20", "ETTOT20", "SUPERF", "NAIS1420", "D99_POP"} <= set(
        dossier[0]["colonnes_non_chargees"])
