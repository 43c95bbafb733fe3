"""The Airflow DAG, run in-process by `airflow dags test` (SQLite metadata, no scheduler), on the demo inputs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pandas as pd
import pytest

pytestmark = pytest.mark.airflow


def test_demo_runs_through_airflow_and_publishes(demo_ws: Path) -> None:
    ws = demo_ws
    publication = json.loads((ws / "serving" / "publication.json").read_text())
    assert publication["donnees_synthetiques"] is True
    assert publication["geo_millesime"] == 2026  # newest COG loaded by default
    # The synthetic file's own value for Angoulême comes back through the whole chain.
    raw = pd.read_csv(ws / "inbox" / "cc_filosofi_2021_COM.csv", sep=";", dtype=str).set_index("CODGEO")
    expected = float(raw.loc["16015", "TP6021"].replace(",", "."))
    with duckdb.connect(str(ws / "serving" / "pacte.duckdb"), read_only=True) as con:
        got = con.execute("select valeur, statut, donnees_synthetiques from marts.indicateurs_commune "
                          "where code_commune = '16015' and indicateur_id = 'taux_pauvrete_60' "
                          "and millesime = 2021").fetchone()
        assert got == (expected, "ok", True)
        # 2021 has an EPCI file (published values); 2019 only communes (estimated).
        statuts = dict(con.execute("select millesime, list(distinct statut order by statut) from marts.indicateurs_epci "
                                   "where indicateur_id = 'taux_pauvrete_60' group by 1").fetchall())
        assert statuts[2021] == ["ok"]
        assert set(statuts[2019]) <= {"estime", "secret"} and "estime" in statuts[2019]
        # Communes merged between COG 2024 and 2026 are recombined through the passage table.
        merged = con.execute("select statut from marts.indicateurs_commune where code_commune = '16023' "
                             "and indicateur_id = 'nb_personnes_menages_fiscaux' and millesime = 2021").fetchone()
        assert merged == ("estime",)
        assert con.execute("select count(*) from marts.controle_codes_non_rattaches").fetchone()[0] == 0
    assert os.path.exists(ws / "serving" / "historique.jsonl")
