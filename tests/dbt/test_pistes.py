"""marts.pistes (étape 3): the candidate pistes follow from the gaps. The test rebuilds the pistes models on a
copy of a published warehouse whose gaps it changes, and sees the scores and the ranking change."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from warehouse.dbt_runner import DBT_PROJECT, run_dbt

SEED = DBT_PROJECT / "seeds" / "ref_pistes_annexe1.csv"


def _rebuild_pistes(path: Path, work: Path) -> None:
    """`dbt build` of the pistes models only, the way every build runs dbt (warehouse.dbt_runner)."""
    modeles, tests = run_dbt(path, work, extra=("-s", "int_pistes__ecarts_epci", "int_pistes__pistes", "pistes"))
    assert modeles == 3 and tests > 0


def _pistes(path: Path) -> dict[str, tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute("select piste_id, axe, rang, note_besoin, score, nb_epci_concernes, population_concernee, "
                           "argumentaire, acteur_associe, levier_texte from marts.pistes "
                           "where code_departement = '16'").fetchall()
    return {r[0]: r[1:] for r in rows}


def test_seed_maps_every_annexe1_thematique_of_each_axe() -> None:
    rows = list(csv.DictReader(SEED.open(encoding="utf-8")))
    assert {r["axe"] for r in rows} == {"1", "2", "3", "4"}
    assert all(r["categories_data_inclusion"] and r["indicateurs_besoin"] and r["types_dispositifs"] for r in rows)
    assert all("CAF" in r["acteur_associe"] for r in rows if r["axe"] == "1")
    assert all("France Travail" in r["acteur_associe"] for r in rows if r["axe"] == "2")


def test_ranking_follows_the_gaps(small_ws: Path, tmp_path: Path) -> None:
    copy = tmp_path / "pacte.duckdb"
    shutil.copyfile(small_ws / "serving" / "pacte.duckdb", copy)
    avant = _pistes(copy)
    assert len(avant) == 24
    # every piste before the comité: judgement criteria « à évaluer », CAF on axe 1 and France Travail on axe 2
    assert {v[8] for v in avant.values()} == {"à évaluer"}
    assert all("CAF" in v[7] for v in avant.values() if v[0] == "1")
    assert all("France Travail" in v[7] for v in avant.values() if v[0] == "2")
    with duckdb.connect(str(copy)) as con:
        population = dict(con.execute("select code_epci, max(population) from intermediate.int_offre__offre_epci "
                                      "where code_departement = '16' group by 1").fetchall())
        # small_ws has no offer file: every need is « non couvert » and mobility (A2-04 alone) ranks by its gap
        assert con.execute("select count(*) from intermediate.int_ecarts__ecarts_epci "
                           "where niveau_couverture <> 'non couvert'").fetchone()[0] == 0
        # the offer now covers mobility everywhere but in the largest EPCI, where it is partial
        grand = max(population, key=population.get)
        con.execute("update intermediate.int_ecarts__ecarts_epci set niveau_couverture = case when code_epci = $g "
                    "then 'partiellement couvert' else 'couvert' end where thematique = 'mobilite'", {"g": grand})
        libelle = con.execute("select libelle from intermediate.int_ecarts__ecarts_epci where code_epci = $g "
                              "limit 1", {"g": grand}).fetchone()[0]
    _rebuild_pistes(copy, tmp_path)
    apres = _pistes(copy)
    total = sum(population.values())
    # (1) besoin = 4 × 0.5 × population of the partially covered EPCI / population of the département
    assert apres["A2-04"][2] == pytest.approx(round(4 * 0.5 * population[grand] / total, 2))
    assert avant["A2-04"][2] == 4.0 and avant["A2-04"][4] == len(population)
    assert apres["A2-04"][4] == 1 and apres["A2-04"][5] == population[grand]
    assert apres["A2-04"][1] == max(v[1] for v in apres.values() if v[0] == "2")  # now last of axe 2
    assert apres["A2-04"][1] > avant["A2-04"][1]
    assert apres["A2-04"][6].startswith(f"Besoin partiellement couvert dans 1 EPCI ({libelle}), soit ")
    assert avant["A2-04"][6].startswith(f"Besoin non couvert dans {len(population)} EPCI (")
    assert "Aucun EPCI du département n'a de besoin non ou partiellement couvert" in apres["A4-01"][6] or \
        apres["A4-01"][6].startswith("Besoin partiellement couvert dans 1 EPCI")
    # A4-01 (eco-mobility, also the mobility category) loses its need too: axe 4 is reordered
    assert apres["A4-01"][2] < avant["A4-01"][2] and apres["A4-01"][1] == 4
    # pistes on other categories are untouched
    assert apres["A1-01"][2] == avant["A1-01"][2] == 4.0


def test_articulation_counts_existing_dispositifs_and_structures(small_ws: Path, tmp_path: Path) -> None:
    """Criterion 2 on hand-made offer rows: 2 dispositifs and 5 structures on mobility in Charente give
    2 × min(1, 2/3) + 2 × min(1, 5/10) = 2.33, cited in the argumentaire; axe 2 is re-ranked."""
    copy = tmp_path / "pacte.duckdb"
    shutil.copyfile(small_ws / "serving" / "pacte.duckdb", copy)
    avant = _pistes(copy)
    with duckdb.connect(str(copy)) as con:
        for i, (intitule, porteur) in enumerate([("Plateforme mobilité Charente", "Association"),
                                                 ("Garage solidaire", "France Travail")]):
            con.execute("insert into staging.stg_dispositifs__dispositifs by name select $id as dispositif_id, "
                        "$intitule as intitule, $porteur as porteur, '2' as axe, "
                        "'mobilite--entretenir-reparer-son-vehicule' as thematique",
                        {"id": f"d{i}", "intitule": intitule, "porteur": porteur})
            con.execute("insert into intermediate.int_dispositifs__departements values ($id, '16', "
                        "'territoire du dispositif')", {"id": f"d{i}"})
        for i in range(5):
            con.execute("insert into intermediate.int_offre__services_localises by name select $s as service_id, "
                        "'data_inclusion' as source_id, $st as structure_id, '16015' as code_commune, "
                        "'200071827' as code_epci, '16' as code_departement",
                        {"s": f"s{i}", "st": f"st{i}"})
            con.execute("insert into intermediate.int_offre__services_thematiques by name select $s as service_id, "
                        "'mobilite--louer-un-vehicule' as thematique_v1, 'mobilite' as categorie_v1, '2' as axe",
                        {"s": f"s{i}"})
    _rebuild_pistes(copy, tmp_path)
    apres = _pistes(copy)
    with duckdb.connect(str(copy), read_only=True) as con:
        note, nb_d, nb_s, argumentaire = con.execute(
            "select note_articulation, nb_dispositifs, nb_structures, argumentaire from marts.pistes "
            "where piste_id = 'A2-04'").fetchone()
    assert (note, nb_d, nb_s) == (pytest.approx(2.33), 2, 5)
    assert "5 service(s) de 5 structure(s) (data_inclusion)" in argumentaire
    assert ("2 dispositif(s) du tableau synthétique : Garage solidaire (France Travail) ; Plateforme mobilité "
            "Charente (Association)") in argumentaire
    # score = (0.4 × 4 + 0.2 × 2.33 + 0.2 × 2.5 + 0.2 × 2.5) / 1 = 3.07, above the other pistes of axe 2
    assert apres["A2-04"][3] == pytest.approx(3.07) and avant["A2-04"][3] == pytest.approx(2.6)
    assert apres["A2-04"][1] == 1 and avant["A2-04"][1] > 1
