"""`bin/pacte compare` without the whole chain: refusals in French with nothing recorded or published (unknown
label, another département, a département not published), the recorded comparisons feeding `construction.*`,
and the comparability rules as data (every catalogue indicator has one; the dbt test finds one that has not)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb
import pytest

from ingestion.landing import sha256_of
from tests.warehouse.t0.test_t0_fast import _published_ws
from warehouse.cli import main
from warehouse.t0 import comparaison
from warehouse.t0 import freeze as t0
from warehouse.workspace import REPO_ROOT

SEEDS = REPO_ROOT / "dbt_project" / "seeds"
RULES = SEEDS / "ref_regles_comparabilite.csv"
CATALOGUE = SEEDS / "ref_indicateurs.csv"
SINGULAR_TEST = REPO_ROOT / "dbt_project" / "tests" / "regles_comparabilite_chaque_indicateur.sql"


@pytest.fixture
def frozen(tmp_path: Path) -> Path:
    ws = _published_ws(tmp_path)[0]
    t0.freeze(ws, "T0-2024", "16")
    return ws


def _said(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    return " ".join((captured.out + captured.err).split())


def _untouched(ws: Path) -> tuple[str, bool]:
    return sha256_of(ws / "serving" / "pacte.duckdb"), comparaison.index_path(ws).exists()


def test_unknown_label_is_refused_in_french_and_nothing_is_recorded(frozen: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    before = _untouched(frozen)
    assert main(["compare", "--t0", "T0-2099", "--departement", "16", "--workspace", str(frozen)]) == 1
    said = _said(capsys)
    assert "Photographie inconnue : « T0-2099 »" in said and "T0-2024" in said  # the known ones are listed
    assert _untouched(frozen) == before == (before[0], False)


def test_a_snapshot_of_16_is_not_compared_for_40(frozen: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _untouched(frozen)
    assert main(["compare", "--t0", "T0-2024", "--departement", "40", "--workspace", str(frozen)]) == 1
    said = _said(capsys)
    assert "porte sur le département 16, pas sur le 40" in said and "Rien n'a été enregistré ni publié" in said
    assert _untouched(frozen) == before
    assert comparaison.recorded(frozen) == []


def test_a_departement_not_published_and_an_unknown_second_snapshot(frozen: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(comparaison.SnapshotError, match="n'est pas dans la version publiée"):
        comparaison.check(frozen, "T0-2024", "16", None, ["40"])
    assert main(["compare", "--t0", "T0-2024", "--departement", "16", "--avec", "T3-2027",
                 "--workspace", str(frozen)]) == 1
    assert "Photographie inconnue : « T3-2027 »" in _said(capsys)
    assert main(["compare", "--t0", "T0-2024", "--departement", "16", "--avec", "T0-2024",
                 "--workspace", str(frozen)]) == 1
    assert "comparée à elle-même" in _said(capsys)
    assert comparaison.recorded(frozen) == []


def test_recorded_comparisons_become_construction_tables(frozen: Path, tmp_path: Path) -> None:
    """A snapshot frozen without commune rows (this hand-made build has no marts.indicateurs_commune) is still
    compared: `communes_t0` is false, so a changed perimeter gives levels only."""
    assert comparaison.record(frozen, "T0-2024", "16", None) is True
    assert comparaison.record(frozen, "T0-2024", "16", None) is False  # once
    assert comparaison.keys(frozen) == ["T0-2024|16|"]
    build = tmp_path / "build.duckdb"
    comparaison.write_tables(build, frozen)
    with duckdb.connect(str(build)) as con:
        assert con.execute("SELECT label_t0, code_departement, label_t3, geo_millesime_t0, communes_t0 "
                           "FROM construction.comparaisons_t0").fetchall() == [("T0-2024", "16", None, 2024, False)]
        assert con.execute("SELECT count(*), count(DISTINCT label) FROM construction.t0_indicateurs").fetchone() == (4, 1)
        assert con.execute("SELECT code_commune, code_epci FROM construction.t0_geographie").fetchall() == [
            ("16015", "200071827")]
        assert con.execute("SELECT count(*) FROM construction.t0_communes").fetchone() == (0,)
    comparaison.forget(frozen, "T0-2024", "16", None)
    assert comparaison.recorded(frozen) == []
    comparaison.write_tables(build, frozen)  # nothing compared: the tables exist, empty
    with duckdb.connect(str(build)) as con:
        assert con.execute("SELECT count(*) FROM construction.comparaisons_t0").fetchone() == (0,)


def test_an_unreadable_comparison_index_is_a_french_error(frozen: Path) -> None:
    comparaison.index_path(frozen).write_text("{pas du json", encoding="utf-8")
    with pytest.raises(comparaison.SnapshotError, match="Index des comparaisons illisible"):
        comparaison.recorded(frozen)


def _rules() -> list[dict[str, str]]:
    with RULES.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_rules_cover_the_series_breaks_of_the_domain_doc() -> None:
    rules = {r["regle_id"]: r for r in _rules()}
    expected = {  # rule: (status, source pattern, indicators, t0 max, t3 min, gap below)
        "filosofi_2023_rupture": ("rupture", "INSEE Filosofi", "", "2021", "2023", ""),
        "rp_moins_5_ans": ("niveau_seul", "INSEE recensement", "", "", "", "5"),
        "france_travail_hors_brsa_2025": ("comparable", "France Travail%", "defm_abc_hors_brsa", "2024", "2025", ""),
        "france_travail_2025_rupture": ("rupture", "France Travail%", "", "2024", "2025", ""),
        "data_inclusion_v0_v1": ("rebase", "data·inclusion%", "", "2025", "2026", ""),
        "caf_comparable": ("comparable", "CAF%", "", "", "", ""),
        "cog_perimetre_rebase": ("rebase", "", "", "", "", ""),
        "cog_perimetre_non_additif": ("niveau_seul", "", "", "", "", ""),
        "filosofi_meme_methode": ("comparable", "INSEE Filosofi", "", "", "", ""),
    }
    for rule_id, (statut, motif, indicateurs, t0_max, t3_min, ecart) in expected.items():
        r = rules[rule_id]
        assert (r["statut"], r["motif_source"], r["indicateurs"], r["millesime_t0_max"], r["millesime_t3_min"],
                r["ecart_inferieur_a"]) == (statut, motif, indicateurs, t0_max, t3_min, ecart), rule_id
    # the exception comes before the rule it refines (the first matching rule of a source wins)
    assert int(rules["france_travail_hors_brsa_2025"]["ordre"]) < int(rules["france_travail_2025_rupture"]["ordre"])
    for r in rules.values():
        assert r["explication"] and r["reference"] and r["condition"], r["regle_id"]


def _run_singular_test(catalogue: Path) -> list[tuple[str, str]]:
    sql = SINGULAR_TEST.read_text(encoding="utf-8")
    sql = re.sub(r"^--.*$", "", sql, flags=re.M)
    sql = sql.replace("{{ ref('ref_indicateurs') }}", f"read_csv('{catalogue}', header = true, all_varchar = true)")
    sql = sql.replace("{{ ref('ref_regles_comparabilite') }}",
                      f"read_csv('{RULES}', header = true, types = {{'millesime_t0_max': 'INTEGER', "
                      f"'millesime_t3_min': 'INTEGER', 'ecart_inferieur_a': 'INTEGER'}})")
    return duckdb.sql(sql).fetchall()


def test_every_catalogue_indicator_has_an_applicable_rule_and_the_dbt_test_finds_one_that_has_not(
        tmp_path: Path) -> None:
    assert _run_singular_test(CATALOGUE) == []
    extended = tmp_path / "ref_indicateurs.csv"
    lines = CATALOGUE.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = dict.fromkeys(header, "")
    row.update({"indicateur_id": "vulnerabilite_energetique", "source": "ONPE", "libelle": "Vulnérabilité énergétique"})
    extended.write_text("\n".join([*lines, ",".join(row[c] for c in header)]) + "\n", encoding="utf-8")
    assert _run_singular_test(extended) == [("vulnerabilite_energetique", "ONPE")]


def test_the_workbook_has_one_sheet_per_axe_explained_statuses_colours_frozen_headers_and_filters(
        tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from warehouse.t0 import classeur

    def row(axe: str, indicateur: str, direction: str | None, statut: str) -> dict[str, object]:
        return {"axe": axe, "libelle_axe": f"libellé {axe}", "libelle": "CA du Grand Angoulême", "niveau": "epci",
                "libelle_indicateur": indicateur, "unite": "%", "valeur_t0": 10.0, "millesime_periode_t0": "2019",
                "valeur_t3": 12.0, "millesime_periode_t3": "2021", "evolution_absolue": 2.0,
                "evolution_relative": 20.0, "direction": direction, "statut_comparabilite": statut,
                # as marts.comparaison_t0 writes it
                "direction_libelle": {"amelioration": "amélioration", "degradation": "dégradation",
                                      None: "non calculée"}.get(direction, direction),
                "statut_comparabilite_libelle": statut, "regle_explication": "pourquoi", "geographie": "COG 2026"}

    rows = [row("1", "Familles monoparentales", "degradation", "comparable"),
            row("3", "Taux AAH", "amelioration", "rebase"), row("3", "Locataires", None, "rupture"),
            row("contexte", "Médiane", "stable", "comparable")]
    target = tmp_path / "suivi" / "comparaison.xlsx"
    assert classeur.write(rows, target, "Suivi à mi-parcours") == {"Axe 1": 1, "Axe 3": 2, "Contexte": 1}
    wb = load_workbook(target)
    assert wb.sheetnames == ["Lisez-moi", "Axe 1", "Axe 3", "Contexte"]
    readme = [c for line in wb["Lisez-moi"].iter_rows(values_only=True) for c in line if c]
    assert {"comparable", "rebase", "niveau_seul", "rupture"} <= set(readme) and "libellé 3" in readme
    axe3 = wb["Axe 3"]
    header = [c.value for c in axe3[1]]
    assert header[:3] == ["Territoire", "Niveau", "Indicateur"] and "Comparabilité" in header
    direction = header.index("Direction") + 1
    assert [axe3.cell(i, direction).value for i in (2, 3)] == ["amélioration", "non calculée"]
    assert "rupture :" in axe3.cell(1, header.index("Comparabilité") + 1).comment.text
    assert axe3.freeze_panes == "B2" and axe3.auto_filter.ref == "A1:N3"
    formats = axe3.conditional_formatting._cf_rules.items()
    rules = {str(rng.sqref): [r.formula[0] for r in found] for rng, found in formats}
    assert rules == {"K2:K3": ['$K2="amélioration"', '$K2="dégradation"', '$K2="stable"']}
    assert not list(target.parent.glob(".*.tmp"))


def test_the_dbt_unit_test_of_the_comparison_runs_the_seed_verbatim() -> None:
    """dbt does not find this seed as an implicit unit-test input: the unit test gives it inline, and it must
    stay the very file the build loads (a rule edited in one place only would test an old rule set)."""
    import yaml

    models = yaml.safe_load((REPO_ROOT / "dbt_project" / "models" / "intermediate" / "t0" / "_t0__models.yml")
                            .read_text(encoding="utf-8"))
    tests = [t for t in models["unit_tests"] if t["model"] == "int_t0__comparaison"]
    assert len(tests) == 2
    for test in tests:
        (given,) = [g for g in test["given"] if g["input"] == "ref('ref_regles_comparabilite')"]
        assert given["format"] == "csv"
        assert given["rows"].strip() == RULES.read_text(encoding="utf-8").strip()
    assert {r["statut_comparabilite"] for r in tests[0]["expect"]["rows"]} == {"comparable", "rebase", "niveau_seul",
                                                                              "rupture"}


def test_a_comparison_whose_snapshot_is_gone_is_left_out_with_a_warning_never_blocks_the_build(
        frozen: Path, tmp_path: Path) -> None:
    comparaison.record(frozen, "T0-2024", "16", None)
    comparaison.record(frozen, "T0-disparue", "16", None)
    build = tmp_path / "build.duckdb"
    warnings = comparaison.write_tables(build, frozen)
    assert len(warnings) == 1 and "« T0-disparue »" in warnings[0] and "non recalculée" in warnings[0]
    assert "Photographie inconnue" in warnings[0]
    with duckdb.connect(str(build)) as con:
        assert con.execute("SELECT label_t0 FROM construction.comparaisons_t0").fetchall() == [("T0-2024",)]


def test_one_departement_per_comparison(frozen: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for codes in ("16,40", "tous"):
        assert main(["compare", "--t0", "T0-2024", "--departement", codes, "--workspace", str(frozen)]) == 1
        assert "Une comparaison porte sur un seul département" in _said(capsys)
    assert main(["compare", "--t0", "T0-2024", "--departement", "9x", "--workspace", str(frozen)]) == 1
    assert "Code département invalide : « 9X »" in _said(capsys)
    assert comparaison.recorded(frozen) == []


def test_a_failed_build_takes_the_comparison_back_out_and_publishes_nothing(
        frozen: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from ingestion.errors import PacteError
    from warehouse import run
    from warehouse.workspace import Workspace

    Workspace.at(frozen).add_departement("16")
    seen: list[list[str]] = []

    def failing_build(ws: Workspace, ref: object, geo: object, dbt: object = None) -> dict[str, object]:
        seen.append(comparaison.keys(ws.root))  # recorded under the writer lock, before the build
        raise PacteError("La construction dbt a échoué (test)")

    monkeypatch.setattr(run, "build_step", failing_build)
    before = _untouched(frozen)
    assert main(["compare", "--t0", "T0-2024", "--departement", "16", "--workspace", str(frozen)]) == 1
    assert "La construction dbt a échoué (test)" in _said(capsys)
    assert seen == [["T0-2024|16|"]]
    assert comparaison.recorded(frozen) == [] and _untouched(frozen)[0] == before[0]
