"""The seven dashboards on a real Superset: chart data against the served file, latency, headless Chromium.

* every chart's saved query_context through /api/v1/chart/data (admin): no error, values compared with
  the served DuckDB file for the charts that carry the numbers committee members quote;
* chart-data latency per chart (p50/p95 over 5 uncached calls), printed and written to
  tests/artifacts/superset_latence.json — a measurement, not a timed assertion;
* the service-point map (deck.gl layers over the EPCI) as a comité member: each layer's points are the
  served ones of its département and axe;
* every dashboard opened in headless Chromium **as a comité member** (département 16), waiting for every
  chart, failing on any chart error (a map layer that fails only logs to the console: read too); one
  screenshot per dashboard in tests/artifacts/.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import re
import shutil
import statistics
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from test_bundle import DASHBOARDS  # the seven slugs and French titles, declared once

pytestmark = pytest.mark.superset

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
STATUT_LIBELLE = {"ok": "publié", "secret": "secret", "estime": "estimé", "non_disponible": "non disponible"}


def _served_rows(served_db: Path, sql: str) -> list[dict[str, Any]]:
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect(str(served_db), read_only=True)
    try:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


@pytest.fixture(scope="module")
def chart_data(api_for: Any, saved_charts: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Rows of every chart (admin), and the latency of 5 uncached calls per chart."""
    admin = api_for("admin")
    data: dict[str, list[dict[str, Any]]] = {}
    latencies: dict[str, list[float]] = {}
    for name, chart in saved_charts.items():
        query_context = {**chart["query_context"], "force": True}
        latencies[name] = []
        for _ in range(5):
            started = time.perf_counter()
            resp = admin.post("/api/v1/chart/data", query_context)
            latencies[name].append((time.perf_counter() - started) * 1000)
            assert resp.status_code == 200, f"{name}: {resp.status_code} {resp.text[:1000]}"
        results = resp.json()["result"]
        assert all(not r.get("error") for r in results), (name, results)
        data[name] = results[0]["data"]
    report = {}
    for name, values in latencies.items():
        quantiles = statistics.quantiles(values, n=20, method="inclusive")
        report[name] = {"p50_ms": round(statistics.median(values), 1), "p95_ms": round(quantiles[18], 1)}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "superset_latence.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print("\nlatence /api/v1/chart/data (5 appels sans cache, ms) :")
    for name, stats in sorted(report.items(), key=lambda kv: -kv[1]["p95_ms"]):
        print(f"  p50 {stats['p50_ms']:7.1f}  p95 {stats['p95_ms']:7.1f}  {name}")
    return data


def test_every_dashboard_and_chart_answers(api_for: Any, chart_data: dict[str, Any], saved_charts: dict[str, Any]) -> None:
    admin = api_for("admin")
    seen = set()
    for slug, title in DASHBOARDS.items():
        dashboard = admin.ok(f"/api/v1/dashboard/{slug}")["result"]
        assert dashboard["dashboard_title"] == title and dashboard["published"] is True
        charts = admin.ok(f"/api/v1/dashboard/{slug}/charts")["result"]
        assert charts, slug
        seen |= {c["slice_name"] for c in charts}
    by_id = {c["id"]: name for name, c in saved_charts.items()}
    layers = {by_id[i] for name in seen for i in saved_charts[name]["params"].get("deck_slices") or []}
    assert seen | layers == set(chart_data), "every chart of the instance is on one of the dashboards (or a map layer)"


DEFAULT_INDICATOR = [{"col": "libelle_indicateur", "op": "IN", "val": ["Taux de pauvreté (seuil 60 %)"]}]


def _chart_rows(api: Any, chart: dict[str, Any], filters: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """A chart's rows as its dashboard asks for them, with the dashboard filters given (e.g. the default indicator)."""
    query_context = copy.deepcopy(chart["query_context"])
    query_context["form_data"]["slice_id"] = chart["id"]
    query_context["queries"][0]["filters"] = [*query_context["queries"][0].get("filters", []), *(filters or [])]
    resp = api.post("/api/v1/chart/data", query_context)
    assert resp.status_code == 200, resp.text[:500]
    return resp.json()["result"][0]["data"]


def _french(value: float, decimals: int) -> str:
    """A number as the marts write it: non-breaking space between thousands, decimal comma."""
    return f"{value:,.{decimals}f}".replace(",", "\u00a0").replace(".", ",")


@pytest.fixture(scope="module")
def latest(served_db: Path) -> dict[str, Any]:
    """Independent reading of the served indicators: per indicator, the latest millésime holding a value;
    per (EPCI, indicator) and (département, indicator) the value of that millésime; decimals per unit."""
    epci = _served_rows(served_db, "SELECT code_epci, libelle, code_departement, indicateur_id, unite, valeur, statut, "
                                   "millesime, periode FROM marts.indicateurs_epci")
    deps = _served_rows(served_db, "SELECT code_territoire, indicateur_id, valeur, numerateur, millesime, periode "
                                   "FROM marts.indicateurs_t0 WHERE niveau = 'departement'")
    units = {r["unite"]: r["decimales"] for r in _served_rows(served_db, "SELECT unite, decimales FROM ref.ref_unites")}
    millesime: dict[str, int] = {}
    for r in epci:
        if r["valeur"] is not None:
            millesime[r["indicateur_id"]] = max(millesime.get(r["indicateur_id"], 0), r["millesime"])
    periode: dict[str, str] = {}
    for r in epci:
        if r["valeur"] is not None and r["millesime"] == millesime[r["indicateur_id"]]:
            periode[r["indicateur_id"]] = max(periode.get(r["indicateur_id"], ""), r["periode"] or "")
    def is_latest(r: dict[str, Any]) -> bool:
        return r["millesime"] == millesime.get(r["indicateur_id"]) and (r["periode"] or "") == periode[r["indicateur_id"]]
    return {
        "millesime": millesime,
        "epci": {(r["libelle"], r["indicateur_id"]): r for r in epci if is_latest(r)},
        "departement": {(r["code_territoire"], r["indicateur_id"]): r for r in deps if is_latest(r)},
        "decimales": {r["indicateur_id"]: units[r["unite"]] for r in epci},
    }


def test_ranking_charts_show_the_latest_millesime_of_each_epci(
    api_for: Any, saved_charts: dict[str, Any], latest: dict[str, Any]
) -> None:
    """Poverty-rate ranking, chosen-indicator ranking and map: each EPCI once, at the latest millésime, with the
    served value — never the highest value over the years (Cognac 16,3 in 2019 against 11,8 in 2023)."""
    admin = api_for("admin")
    year = latest["millesime"]["taux_pauvrete_60"]
    expected = {libelle: r["valeur"] for (libelle, ind), r in latest["epci"].items()
                if ind == "taux_pauvrete_60" and r["valeur"] is not None}
    assert expected
    for name in ("Taux de pauvreté (seuil 60 %) — classement des EPCI", "Classement des EPCI — indicateur choisi"):
        rows = _chart_rows(admin, saved_charts[name], DEFAULT_INDICATOR)
        got = {r["EPCI (millésime)"]: r["valeur"] for r in rows}
        assert got == {f"{libelle} ({year})": v for libelle, v in expected.items()}, name
    rows = _chart_rows(admin, saved_charts["Carte des EPCI — indicateur choisi"], DEFAULT_INDICATOR)
    assert {r["infobulle"].split(" : ")[0]: r["valeur"] for r in rows} == pytest.approx(expected, abs=1e-6)
    assert all(r["infobulle"].endswith(f"({year})") for r in rows)
    table = _chart_rows(admin, saved_charts["Taux de pauvreté par EPCI"])
    assert {r["libelle"] for r in table} == {libelle for (libelle, ind) in latest["epci"] if ind == "taux_pauvrete_60"}
    assert {r["millesime_periode"] for r in table} == {str(year)}


def test_gap_to_the_departement_is_taken_on_one_millesime(
    api_for: Any, saved_charts: dict[str, Any], latest: dict[str, Any]
) -> None:
    """Écart de l'EPCI au département = EPCI value − département value (marts.indicateurs_t0), same millésime."""
    admin = api_for("admin")
    codes = {(libelle, ind): r["code_departement"] for (libelle, ind), r in latest["epci"].items()}
    expected = {}
    for (libelle, ind), r in latest["epci"].items():
        dep = latest["departement"].get((codes[(libelle, ind)], ind))
        if ind == "taux_pauvrete_60" and r["valeur"] is not None and dep and dep["valeur"] is not None:
            expected[libelle] = round(r["valeur"] - dep["valeur"], 4)
    assert expected
    rows = _chart_rows(admin, saved_charts["Écart de l'EPCI à la valeur du département — indicateur choisi"],
                       DEFAULT_INDICATOR)
    year = latest["millesime"]["taux_pauvrete_60"]
    got = {r["EPCI (millésime)"]: r["ecart_departement"] for r in rows}
    assert got == pytest.approx({f"{k} ({year})": v for k, v in expected.items()}, abs=1e-6)
    carte = _chart_rows(admin, saved_charts["Carte des écarts au département — indicateur choisi"], DEFAULT_INDICATOR)
    assert {r["infobulle"].split(" : ")[0]: r["ecart_departement"] for r in carte} == pytest.approx(expected, abs=1e-6)


def test_synthese_key_figures_say_their_millesime(
    api_for: Any, saved_charts: dict[str, Any], latest: dict[str, Any], served_db: Path
) -> None:
    admin = api_for("admin")
    rows = _chart_rows(admin, saved_charts["Chiffres clés du département et de la France"])
    assert rows
    catalogue = _served_rows(served_db, "SELECT indicateur_id, libelle FROM ref.ref_indicateurs")
    ids = {r["libelle"]: r["indicateur_id"] for r in catalogue}
    for row in rows:
        indicator = ids[row["libelle_indicateur"]]
        assert row["millesime"] == latest["millesime"][indicator], row
        dep = latest["departement"][(row["code_departement"], indicator)]
        text = _french(dep["valeur"], latest["decimales"][indicator]) if dep["valeur"] is not None else "—"
        assert row["departement"] == text, row
    persons = [r for r in rows if ids[r["libelle_indicateur"]] == "nb_personnes_pauvres"]
    assert persons and "," not in persons[0]["departement"], "persons are whole numbers"
    per_epci = _chart_rows(admin, saved_charts["Chiffres clés par EPCI, département et France"])
    assert per_epci and all(r["millesime_periode"] for r in per_epci)
    for row in per_epci:
        indicator = ids[row["libelle_indicateur"]]
        served = latest["epci"][(row["libelle"], indicator)]
        assert row["millesime_periode"].startswith(str(served["millesime"])), row
    sensibles = _served_rows(
        served_db, "SELECT libelle, theme, indicateurs_sensibles FROM marts.besoins_epci WHERE situation_sensible"
    )
    got = _chart_rows(admin, saved_charts["Situations locales sensibles par EPCI et facteur aggravant"])
    assert sorted((r["libelle"], r["theme"], r["indicateurs_sensibles"]) for r in got) == sorted(
        (r["libelle"], r["theme"], r["indicateurs_sensibles"]) for r in sensibles
    )


def test_profiles_are_counted_in_one_unit(api_for: Any, saved_charts: dict[str, Any], latest: dict[str, Any]) -> None:
    """Profiles in poor households: group poverty rate × households of the group (recensement), from the
    département rows of marts.indicateurs_t0; no bar for a profile that cannot be counted."""
    pairs = {"non insérés propriétaires": ("tp_proprietaires", "part_proprietaires"),
             "non insérés locataires du parc privé": ("tp_locataires", "part_locataires_prive"),
             "non insérés locataires du parc social": ("tp_locataires", "taux_logements_sociaux")}  # fmt: skip
    rows = _chart_rows(api_for("comite16"), saved_charts["Profils de pauvreté les plus fréquents dans le département"])
    got = {r["profil"]: r["menages_pauvres"] for r in rows}
    for profil, (rate, households) in pairs.items():
        rate_row, count_row = latest["departement"][("16", rate)], latest["departement"][("16", households)]
        assert got[profil] == round(rate_row["valeur"] / 100 * count_row["numerateur"]), profil
    assert "retraités" not in got and "moins de 30 ans non insérés" not in got
    table = _chart_rows(api_for("comite16"), saved_charts["Profils de pauvreté — approximation et millésimes"])
    assert len(table) == 6 and all(r["approximation"] and r["millesimes"] for r in table)


def test_t0_comparison_lists_indicators_known_at_two_millesimes(
    api_for: Any, saved_charts: dict[str, Any], served_db: Path
) -> None:
    served = _served_rows(served_db, "SELECT niveau, libelle, libelle_indicateur, millesime_periode, valeur, valeur_texte "
                                     "FROM marts.indicateurs_t0 WHERE valeur IS NOT NULL")
    spans: dict[tuple[str, str, str], dict[str, str]] = {}
    for r in served:
        key = (r["niveau"], r["libelle"], r["libelle_indicateur"])
        spans.setdefault(key, {})[r["millesime_periode"]] = r["valeur_texte"]
    expected = {k: v for k, v in spans.items() if len(v) > 1}
    rows = _chart_rows(api_for("admin"), saved_charts["Indicateurs publiés à plusieurs millésimes — premier et dernier"])
    assert len(rows) == len(expected) > 0
    for row in rows:
        years = expected[(row["niveau"], row["libelle"], row["libelle_indicateur"])]
        first, last = min(years), max(years)
        assert (row["premier_millesime"], row["dernier_millesime"]) == (first, last), row
        assert (row["valeur_premier_millesime"], row["valeur_dernier_millesime"]) == (years[first], years[last]), row
        assert "non disponible" not in (row["valeur_premier_millesime"], row["valeur_dernier_millesime"])


def test_t0_table_shows_secret_in_words(chart_data: dict[str, Any], served_db: Path) -> None:
    """T0 (marts.indicateurs_t0): one row per territory × indicator × millésime; « secret » / « non disponible »
    in words, never 0."""
    served = _served_rows(served_db, "SELECT niveau, code_territoire, libelle_indicateur, millesime_periode, valeur, "
                                     "statut FROM marts.indicateurs_t0")
    rows = chart_data["Indicateurs T0 par territoire"]
    assert len(rows) == len(served)
    key = ("niveau", "code_territoire", "libelle_indicateur", "millesime_periode")
    by_key = {tuple(r[k] for k in key): r for r in rows}
    assert len(by_key) == len(rows), "one row per territory × indicator × millésime × période"
    statuses = set()
    for expected in served:
        got = by_key[tuple(expected[k] for k in key)]
        statuses.add(expected["statut"])
        if expected["statut"] == "secret":
            assert got["valeur_texte"] == "secret"
        elif expected["statut"] == "non_disponible":
            assert got["valeur_texte"] == "non disponible"
        elif expected["valeur"] is not None:
            number = got["valeur_texte"].removesuffix(" (estimé)").replace("\u00a0", "").replace(",", ".")
            assert float(number) == pytest.approx(expected["valeur"], abs=0.51)
            assert got["valeur_texte"].endswith("(estimé)") == (expected["statut"] == "estime")
    assert {"ok", "estime"} <= statuses, statuses
    assert {r["niveau"] for r in rows} == {"epci", "departement"}


def test_offre_and_ecarts_match_served_file(chart_data: dict[str, Any], served_db: Path) -> None:
    offre = _served_rows(served_db, "SELECT libelle, libelle_thematique, nb_services FROM marts.offre_epci")
    rows = chart_data["Offre par EPCI et thématique"]
    assert sorted((r["libelle"], r["libelle_thematique"], r["nb_services"]) for r in rows) == sorted(
        (r["libelle"], r["libelle_thematique"], r["nb_services"]) for r in offre
    )
    assert not any("--" in r["libelle_thematique"] for r in rows), "labels, never data·inclusion codes"
    by_category = _served_rows(served_db, "SELECT libelle_categorie, count(DISTINCT service_id) AS n "
                                          "FROM marts.services_points GROUP BY 1")
    got = {r["libelle_categorie"]: r["nb_services"] for r in chart_data["Services recensés par catégorie de thématiques"]}
    assert got == {r["libelle_categorie"]: r["n"] for r in by_category} and len(got) <= 20

    ecarts = _served_rows(served_db, "SELECT libelle, thematique, ecart, niveau_couverture FROM marts.ecarts_epci")
    rows = chart_data["Besoins peu ou non couverts d'abord : écarts par EPCI et thématique"]
    assert len(rows) == len(ecarts) > 0
    assert {r["niveau_couverture"] for r in rows} <= {"non couvert", "partiellement couvert", "couvert"}
    assert all(r["libelle_axe"].startswith("Axe ") for r in rows)
    dispositifs = _served_rows(served_db, "SELECT count(*) AS n FROM marts.dispositifs")[0]["n"]
    assert len(chart_data["Tableau synthétique des dispositifs"]) == dispositifs
    passages = _served_rows(served_db, "SELECT count(*) AS n FROM marts.schemas_passages")[0]["n"]
    assert len(chart_data["Passages des schémas départementaux par axe"]) == passages
    provenance = _served_rows(served_db, "SELECT DISTINCT sha256, donnees_synthetiques FROM marts.provenance")
    (counter,) = chart_data["Fichiers de données synthétiques"]
    assert counter["nb_fichiers_synthetiques"] == sum(bool(p["donnees_synthetiques"]) for p in provenance) > 0


def test_mid_term_dashboard_shows_every_comparison_with_its_status(
    api_for: Any, saved_charts: dict[str, Any], served_db: Path
) -> None:
    """« Suivi à mi-parcours » for a comité member of 16: each T0 / T+3 row of the served comparison, the status
    beside every change, no change written for niveau_seul or rupture, the map and ranking only where computed."""
    comite = api_for("comite16")
    expected = _served_rows(served_db, "SELECT libelle, libelle_indicateur, valeur_t0_texte, valeur_t3_texte, "
                                       "evolution_texte, statut_comparabilite_libelle, statut_comparabilite, "
                                       "evolution_absolue FROM marts.comparaison_t0 WHERE code_departement = '16'")
    assert expected and {r["statut_comparabilite"] for r in expected} >= {"comparable", "niveau_seul"}
    rows = _chart_rows(comite, saved_charts["Tous les indicateurs — T0, T+3, évolution et statut de comparabilité"])
    keys = ("libelle", "libelle_indicateur", "valeur_t0_texte", "valeur_t3_texte", "evolution_texte",
            "statut_comparabilite_libelle")
    assert sorted(tuple(r[k] for k in keys) for r in rows) == sorted(tuple(r[k] for k in keys) for r in expected)
    for r in rows:
        assert r["statut_comparabilite_libelle"], r
        if r["statut_comparabilite_libelle"].startswith(("niveaux seulement", "rupture")):
            assert r["evolution_texte"].startswith("non calculée"), r
    statuts: dict[str, int] = {}  # one row per status and rule
    for r in _chart_rows(comite, saved_charts["Comparabilité des évolutions T0 / T+3"]):
        assert r["regle_id"] and r["regle_explication"], r
        statuts[r["statut_comparabilite_libelle"]] = statuts.get(r["statut_comparabilite_libelle"], 0) + r["nb_indicateurs"]
    attendu: dict[str, int] = {}
    for r in expected:
        attendu[r["statut_comparabilite_libelle"]] = attendu.get(r["statut_comparabilite_libelle"], 0) + 1
    assert statuts == attendu
    chosen = _chart_rows(comite, saved_charts["Évolution T0 / T+3 par EPCI — indicateur choisi"], DEFAULT_INDICATOR)
    computed = [r for r in expected if r["libelle_indicateur"] == "Taux de pauvreté (seuil 60 %)"
                and r["evolution_absolue"] is not None and r["libelle"] != "Charente"]
    assert len(chosen) == len(computed) > 0
    assert sorted(r["evolution"] for r in chosen) == pytest.approx(sorted(r["evolution_absolue"] for r in computed))


def test_etape_3_dashboard_shows_the_ranked_pistes_and_the_fiches(
    api_for: Any, saved_charts: dict[str, Any], served_db: Path, demo_ws: Path
) -> None:
    """« Étape 3 » for a comité member of 16: pistes in rank order per axe with their scores, the EPCI each piste
    concerns, the fiches actions and their T0 taken from the demo's snapshot."""
    comite = api_for("comite16")
    pistes = _served_rows(served_db, "SELECT libelle_axe, rang, intitule, score, decision FROM marts.pistes "
                                     "WHERE code_departement = '16' ORDER BY axe, rang")
    rows = _chart_rows(comite, saved_charts["Pistes candidates par axe — scores et argumentaire"])
    assert [(r["libelle_axe"], r["rang"], r["intitule"], r["score"]) for r in rows] == \
        [(p["libelle_axe"], p["rang"], p["intitule"], p["score"]) for p in pistes]
    scores = _chart_rows(comite, saved_charts["Score des pistes candidates (sur 4)"])
    assert len(scores) == len(pistes) and max(r["score"] for r in scores) == max(p["score"] for p in pistes)
    par_epci = _served_rows(served_db, "SELECT libelle, piste_id, niveau_couverture FROM marts.pistes_epci "
                                       "WHERE code_departement = '16'")
    rows = _chart_rows(comite, saved_charts["EPCI concernés par chaque piste"])
    assert len(rows) == len(par_epci) > 0 and {r["niveau_couverture"] for r in rows} <= {"non couvert",
                                                                                       "partiellement couvert"}
    fiches = _served_rows(served_db, "SELECT piste_id, pilote FROM marts.fiches_actions WHERE code_departement = '16'")
    assert len(fiches) == 2, "the comité's fiches of the test inbox are published"
    rows = _chart_rows(comite, saved_charts["Fiches actions retenues par le comité"])
    assert sorted((r["piste_id"], r["pilote"]) for r in rows) == sorted((f["piste_id"], f["pilote"]) for f in fiches)
    snapshot = _served_rows(served_db, "SELECT 1 FROM marts.photographies_t0 WHERE label = 'T0-demo-16'")
    assert snapshot, "the demo's T0 is listed"
    suivi = _chart_rows(comite, saved_charts["Indicateurs des fiches actions — T0 et cibles"])
    served_suivi = _served_rows(served_db, "SELECT piste_id, type_indicateur, libelle_indicateur, annee, t0_texte, "
                                           "cible_texte FROM marts.suivi_indicateurs WHERE code_departement = '16'")
    keys = ("piste_id", "type_indicateur", "libelle_indicateur", "annee", "t0_texte", "cible_texte")
    assert sorted(tuple(r[k] for k in keys) for r in suivi) == sorted(tuple(r[k] for k in keys) for r in served_suivi)
    resultats = _served_rows(served_db, "SELECT r.libelle, s.valeur_t0, s.millesime_t0, s.unite, s.t0_texte, s.cible "
                                        "FROM marts.suivi_indicateurs AS s JOIN ref.ref_indicateurs AS r ON "
                                        "r.indicateur_id = s.indicateur WHERE s.type_indicateur = 'resultat' "
                                        "AND s.valeur_t0 IS NOT NULL")
    assert resultats and all(r["cible"] == 16.5 for r in resultats)
    parquet = demo_ws / "t0" / "T0-demo-16" / "indicateurs_t0.parquet"
    frozen = {r["libelle"]: r for r in _served_rows(served_db, (
        "SELECT r.libelle, t.valeur, t.millesime_periode, u.decimales FROM read_parquet('" + str(parquet) + "') AS t "
        "JOIN ref.ref_indicateurs AS r USING (indicateur_id) JOIN ref.ref_unites AS u ON u.unite = r.unite "
        "WHERE t.niveau = 'departement' AND t.code_territoire = '16' AND t.est_dernier_millesime"))}
    for r in resultats:  # the fiche's T0 is the snapshot's, as the dashboard writes it
        f = frozen[r["libelle"]]
        assert r["valeur_t0"] == pytest.approx(f["valeur"]), r
        assert r["t0_texte"] == f"{_french(f['valeur'], f['decimales'])} ({f['millesime_periode']})", r
    comite40 = api_for("comite40")
    assert not _chart_rows(comite40, saved_charts["Fiches actions retenues par le comité"]), "16's fiches, not 40's"


SERVICE_MAP = "Carte des points de service sur le taux de pauvreté par EPCI"


def test_service_map_layers_for_a_comite_member(
    api_for: Any, web_for: Any, saved_charts: dict[str, Any], served_db: Path
) -> None:
    """The service-point map of « Étape 2 — Offre » as a comité member (département 16) loads it: the EPCI polygons
    coloured by poverty rate, then one layer of points per axe, each with the served points of its axe."""
    service_map = saved_charts[SERVICE_MAP]
    by_id = {c["id"]: (name, c) for name, c in saved_charts.items()}
    layers = [by_id[i] for i in service_map["params"]["deck_slices"]]
    assert [c["viz_type"] for _n, c in layers] == ["deck_polygon", *["deck_scatter"] * 4]
    dashboard_id = api_for("admin").ok("/api/v1/dashboard/etape-2-offre")["result"]["id"]
    web = web_for("comite16")

    def features(chart: dict[str, Any], **extra: Any) -> list[dict[str, Any]]:
        form_data = {**chart["params"], "slice_id": chart["id"], "datasource": f"{chart['datasource_id']}__table",
                     "dashboardId": dashboard_id, **extra}  # fmt: skip
        resp = web.get(f"/superset/explore_json/?form_data={urllib.parse.quote(json.dumps(form_data))}")
        assert resp.status_code == 200, resp.text[:500]
        return resp.json()["data"]["features"]

    whole = features(service_map)
    assert set(whole) == {"deck_polygon", "deck_scatter"}, "the map's own request runs its layers server-side"
    (_name, polygons), *points = layers
    epci = _served_rows(
        served_db,
        "SELECT DISTINCT i.libelle FROM marts.indicateurs_epci AS i WHERE i.code_departement = '16' "
        "AND i.indicateur_id = 'taux_pauvrete_60' AND i.valeur IS NOT NULL",
    )
    shapes = features(polygons, parent_slice_id=service_map["id"])
    assert len(shapes) == len(epci) > 0
    counts = {}
    for name, layer in points:
        axe = layer["params"]["adhoc_filters"][0]["comparator"]
        # one point per place, service and thématique shown (services listed twice by the répertoires coincide)
        (expected,) = _served_rows(
            served_db,
            "SELECT count(DISTINCT (longitude, latitude, nom, libelle_thematique)) AS n "
            "FROM marts.services_points WHERE latitude IS NOT NULL AND longitude IS NOT NULL "
            f"AND code_departement = '16' AND axe = '{int(axe)}'",
        )
        got = features(layer, parent_slice_id=service_map["id"])
        assert len(got) == expected["n"] > 0, name
        assert all(-5.5 < f["position"][0] < 10 and 41 < f["position"][1] < 51.5 for f in got), name
        counts[axe] = len(got)
    assert sum(counts.values()) > 0
    print(f"\ncarte de l'offre (comité 16) : {len(shapes)} EPCI, points par axe {counts}")


def test_anchor_value_from_the_demo_input_file(chart_data: dict[str, Any], demo_ws: Path) -> None:
    """Grand Angoulême's 2021 rate in the table of all indicators is the value of the (synthetic) EPCI file."""
    with (demo_ws / "inbox" / "cc_filosofi_2021_EPCI.csv").open(encoding="utf-8") as fh:
        row = next(r for r in csv.DictReader(fh, delimiter=";") if r["CODGEO"] == "200071827")
    expected = row["TP6021"]  # published as « 12,3 »: the dashboards write it the same way
    rows = [r for r in chart_data["Tous les indicateurs de besoins par EPCI"] if "Grand Angoulême" in r["libelle"]
            and r["millesime_periode"] == "2021" and r["libelle_indicateur"] == "Taux de pauvreté (seuil 60 %)"]
    assert rows and all(r["valeur_texte"] == expected and r["statut_libelle"] == "publié" for r in rows)


# --------------------------------------------------------------------------- browser

_CHART_STATE_JS = """
const holders = [...document.querySelectorAll('[data-test="chart-grid-component"]')];
return holders.map(h => ({
  name: (h.querySelector('[data-test="editable-title"], .header-title') || {}).innerText || '',
  loading: h.querySelectorAll('.loading, [data-test="loading-indicator"]').length,
  rendered: h.querySelectorAll('canvas, svg, table, .superset-legacy-chart-big-number, [class*="big-number"]').length,
  empty: h.querySelectorAll('.ant-empty, [class*="empty-state"], [class*="EmptyState"]').length,
  errors: h.querySelectorAll(
    '.ant-alert-error, .ant-alert-warning, .error-alert, [data-test="error-tooltip"], [role="alert"]'
  ).length,
  text: h.innerText,
}));
"""


@pytest.fixture(scope="module")
def browser(superset_server: dict[str, Any]) -> Any:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("chromium ou chromedriver absent (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    profile = superset_server["home"] / "chromium-profile"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1600,1200",
        "--lang=fr-FR",
        "--enable-unsafe-swiftshader",  # software WebGL for the deck.gl maps (no GPU in CI)
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # map layers report their errors there only
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        # The login form is drawn by React: keys typed before it is ready can be lost on a loaded machine, so a
        # login that leaves us on /login is tried again (three times at most) before the fixture fails.
        for attempt in range(3):
            driver.get(f"{superset_server['base']}/login/")
            WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "input#username"))
            time.sleep(1 + attempt)
            driver.find_element(By.CSS_SELECTOR, "input#username").send_keys("comite16")
            driver.find_element(By.CSS_SELECTOR, "input#password").send_keys(superset_server["passwords"]["comite16"])
            driver.find_element(By.CSS_SELECTOR, "form button[type=submit], form button").click()
            try:
                WebDriverWait(driver, 40).until(lambda d: "/login" not in d.current_url)
                break
            except TimeoutException:
                if attempt == 2:
                    raise
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.parametrize("slug", list(DASHBOARDS))
def test_dashboard_renders_for_a_comite_member(browser: Any, superset_server: dict[str, Any], api_for: Any, slug: str) -> None:
    from selenium.webdriver.common.by import By

    expected = len(api_for("comite16").ok(f"/api/v1/dashboard/{slug}/charts")["result"])
    started = time.monotonic()
    browser.set_window_size(1600, 1200)
    browser.get(f"{superset_server['base']}/superset/dashboard/{slug}/?standalone=1")
    deadline = started + 120
    stable = 0
    states: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        # scroll through the page: charts below the fold are only rendered when visible
        browser.execute_script("window.scrollTo(0, document.body.scrollHeight); window.scrollTo(0, 0);")
        states = browser.execute_script(_CHART_STATE_JS)
        done = len(states) == expected and all(
            s["loading"] == 0 and (s["rendered"] > 0 or s["errors"] > 0 or s["empty"] > 0) for s in states
        )
        stable = stable + 1 if done else 0
        if stable >= 3:  # three checks in a row: native-filter defaults have re-queried
            break
        time.sleep(1)
    render_s = time.monotonic() - started
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1600, max(1200, min(int(height) + 100, 8000)))
    time.sleep(1.5)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / f"dashboard_{slug}.png"
    browser.save_screenshot(str(screenshot))
    print(f"\n{slug} : {len(states)} graphiques rendus en {render_s:.1f} s (comité, département 16) → {screenshot.name}")

    assert stable >= 3, f"charts not rendered within 120 s: {[(s['name'], s['loading'], s['rendered']) for s in states]}"
    for state in states:
        assert state["errors"] == 0, f"chart error: {state['name']}: {state['text'][:500]}"
        lowered = state["text"].lower()
        assert "erreur" not in lowered and "error" not in lowered, f"{state['name']}: {state['text'][:500]}"
    console = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    layer_errors = [m for m in console if "Error loading layer" in m or "explore_json" in m]
    assert not layer_errors, f"map layer errors: {layer_errors}"
    empties = [s["name"] for s in states if s["empty"] and not s["rendered"]]
    print(f"  graphiques vides : {empties or 'aucun'}")
    page = browser.find_element(By.TAG_NAME, "body").text
    assert DASHBOARDS[slug] in page or DASHBOARDS[slug] in browser.title
    assert page.count("Source :") >= expected, "a source line under every chart"
    # French to the comité: no « N/A » for an empty cell, no « records », no true/false
    english = {word: len(re.findall(rf"\b{word}\b", page)) for word in ("N/A", "records", "true", "false")}
    assert not any(english.values()), english
    assert "Télécharger ce tableau de bord en PDF" in page
    assert screenshot.stat().st_size > 10_000


def test_a_new_publication_is_shown_without_restarting_superset(
        api_for: Any, saved_charts: dict[str, Any], served_db: Path) -> None:
    """A publication replaces the served file by a rename (warehouse/publish.py). Superset must read the new
    file at once: no DuckDB connection kept in a pool on the old inode, no cached answer of the old version.
    The chart is asked as the dashboards ask (no forced refresh), before and after."""
    duckdb = pytest.importorskip("duckdb")
    chart = saved_charts["Tableau synthétique des dispositifs"]
    admin = api_for("admin")

    def rows() -> int:
        resp = admin.post("/api/v1/chart/data", {**chart["query_context"], "force": False})
        assert resp.status_code == 200, resp.text[:500]
        return len(resp.json()["result"][0]["data"])

    before = rows()
    assert rows() == before > 1  # the answer is now in every cache layer
    new_version = served_db.with_name("nouvelle_version.duckdb")
    original = served_db.with_name("version_precedente.duckdb")
    shutil.copyfile(served_db, new_version)
    with duckdb.connect(str(new_version)) as con:
        con.execute("DELETE FROM marts.dispositifs WHERE rowid = (SELECT min(rowid) FROM marts.dispositifs)")
    os.link(served_db, original)
    try:
        os.replace(new_version, served_db)  # what publish does
        assert rows() == before - 1
    finally:
        os.replace(original, served_db)  # the other tests read the published copy again
    assert rows() == before
