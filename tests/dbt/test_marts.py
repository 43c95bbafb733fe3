"""Issue 4 marts on the demo warehouse (real COG 2026 geography, national synthetic files in the published
layouts): values recomputed here independently from the input files, and the rules the marts promise."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape


@pytest.fixture(scope="module")
def con(demo_ws: Path):
    c = duckdb.connect(str(demo_ws / "serving" / "pacte.duckdb"), read_only=True)
    yield c
    c.close()


@pytest.fixture(scope="module")
def membres_2026(demo_ws: Path) -> dict[str, list[str]]:
    epci = json.loads((demo_ws / "inbox" / "decoupage-administratif_cog2026_epci.json").read_text(encoding="utf-8"))
    return {e["code"]: [m["code"] for m in e["membres"]] for e in epci}


def _epci_16(con) -> set[str]:
    return {r[0] for r in con.execute("select distinct code_epci from intermediate.int_geo__communes_epci "
                                      "where code_departement = '16' and code_epci is not null").fetchall()}


def test_catalogue_has_at_least_30_computed_indicators_covering_axes_themes_profiles(con) -> None:
    computed = con.execute("""select r.indicateur_id, r.axe, r.theme, r.profil from ref.ref_indicateurs r
        where exists (select 1 from marts.indicateurs_t0 t where t.indicateur_id = r.indicateur_id
                      and t.valeur is not null)""").fetchall()
    assert len(computed) >= 30
    assert {"1", "2", "3", "4"} - {r[1] for r in computed} <= {"4"}  # axe 4 is served by the offer marts
    themes = {r[2] for r in computed}
    assert {"marché du travail", "qualification", "situations familiales", "logement", "accès aux soins",
            "éloignement des services", "mobilité"} <= themes
    profils = {r[3] for r in computed if r[3]}
    assert {"retraités", "actifs occupés", "moins de 30 ans sans emploi", "propriétaires sans emploi",
            "locataires du privé", "locataires du parc social"} <= profils


def test_every_epci_has_needs_offer_gaps_t0_and_contours(con) -> None:
    expected = _epci_16(con)
    assert len(expected) == 9
    for mart in ("indicateurs_epci", "besoins_epci", "offre_epci", "ecarts_epci", "geo_epci"):
        got = {r[0] for r in con.execute(f"select distinct code_epci from marts.{mart} where code_departement = '16'"
                                         ).fetchall()}
        assert got == expected, mart
    t0 = {r[0] for r in con.execute("select distinct code_territoire from marts.indicateurs_t0 where niveau = 'epci'"
                                    ).fetchall()}
    assert t0 == expected


def test_rate_is_recomputed_from_summed_numerators_and_denominators(con, demo_ws: Path, membres_2026) -> None:
    rp = pd.read_csv(demo_ws / "inbox" / "base-cc-emploi-pop-active-2021.csv", sep=";", dtype={"CODGEO": str})
    rp = rp.set_index("CODGEO")
    # An EPCI none of whose communes merged between the RP geography (2024) and COG 2026.
    epci = next(e for e in sorted(_epci_16(con)) if all(c in rp.index for c in membres_2026[e]))
    sub = rp.loc[membres_2026[epci]]
    expected = 100 * sub["P21_CHOM1564"].sum() / sub["P21_ACT1564"].sum()
    valeur, num, den, statut = con.execute(
        "select valeur, numerateur, denominateur, statut from marts.indicateurs_epci where code_epci = ? "
        "and indicateur_id = 'taux_chomage_rp' and millesime = 2021", [epci]).fetchone()
    assert statut == "ok"
    assert valeur == pytest.approx(expected, abs=1e-3)
    assert num == pytest.approx(sub["P21_CHOM1564"].sum(), abs=1e-3)
    assert den == pytest.approx(sub["P21_ACT1564"].sum(), abs=1e-3)
    naive_mean = (100 * sub["P21_CHOM1564"] / sub["P21_ACT1564"]).mean()
    assert abs(valeur - naive_mean) > 1e-3  # not an average of commune rates


def test_secrets_are_never_numbers_in_any_mart(con) -> None:
    for mart in ("indicateurs_epci", "indicateurs_commune", "indicateurs_t0"):
        assert con.execute(f"select count(*) from marts.{mart} where statut = 'secret' and valeur is not null"
                           ).fetchone()[0] == 0
    assert con.execute("select count(*) from marts.indicateurs_commune where statut = 'secret'").fetchone()[0] > 1000


def test_zscore_rank_and_alert_follow_the_documented_rule(con) -> None:
    rows = con.execute("""select code_epci, valeur, zscore_departement, rang_departement, percentile_national, alerte
        from marts.indicateurs_epci where code_departement = '16' and indicateur_id = 'taux_pauvrete_60'
        and millesime = 2021""").df()
    mean, std = rows["valeur"].mean(), rows["valeur"].std(ddof=0)
    assert (rows["zscore_departement"] - (rows["valeur"] - mean) / std).abs().max() < 0.01
    assert list(rows.sort_values("valeur", ascending=False)["rang_departement"])[0] == 1
    expected = (rows["percentile_national"] >= 90) | (rows["zscore_departement"] >= 1.5)
    assert list(rows["alerte"]) == list(expected)
    besoins = con.execute("""select b.code_epci, b.situation_sensible from marts.besoins_epci b
        where b.theme = 'pauvreté monétaire' and b.code_departement = '16'""").fetchall()
    flagged = set(con.execute("""select distinct code_epci from marts.indicateurs_epci where alerte
        and theme = 'pauvreté monétaire' and code_departement = '16'""").fetchall())
    assert {(c,) for c, s in besoins if s} <= flagged


def test_epci_contours_are_the_union_of_their_communes(con, membres_2026) -> None:
    epci_rows = con.execute("select code_epci, geojson, surface_km2, nb_communes from marts.geo_epci "
                            "where code_departement = '16'").fetchall()
    communes = dict(con.execute("select code_commune, surface_km2 from intermediate.int_geo__contours_communes").fetchall())
    for code, geojson, surface, nb in epci_rows:
        geom = shape(json.loads(geojson))
        assert geom.is_valid and not geom.is_empty and geom.geom_type in ("Polygon", "MultiPolygon")
        assert nb == len(membres_2026[code])
        assert surface == pytest.approx(sum(communes[c] for c in membres_2026[code]), rel=1e-3)
    # Angoulême's representative point lies inside Grand Angoulême.
    lon, lat = con.execute("select longitude, latitude from marts.geo_communes where code_commune = '16015'").fetchone()
    ga = shape(json.loads(next(g for c, g, *_ in epci_rows if c == "200071827")))
    assert ga.buffer(0.01).contains(shapely.Point(lon, lat))


def test_offer_counts_and_gap_ranking(con) -> None:
    located = con.execute("""select count(distinct l.service_id) from intermediate.int_offre__services_localises l
        where l.code_epci = '200071827'""").fetchone()[0]
    per_thematique = con.execute("""select sum(nb_services) from marts.offre_epci where code_epci = '200071827'
        and code_departement = '16'""").fetchone()[0]
    assert located > 0 and per_thematique >= located  # a service counts once per thématique it covers
    ranks = con.execute("""select axe, niveau_couverture, rang from marts.ecarts_epci where code_departement = '16'
        order by axe, rang""").fetchall()
    order = {"non couvert": 0, "partiellement couvert": 1, "couvert": 2}
    for axe in {r[0] for r in ranks}:
        levels = [order[r[1]] for r in ranks if r[0] == axe]
        assert levels == sorted(levels), axe  # « besoins peu ou non couverts » first
    unlocated = con.execute("select count(*) from intermediate.int_offre__services_localises "
                            "where localisation = 'non_localise'").fetchone()[0]
    by_coordinates = con.execute("select count(*) from intermediate.int_offre__services_localises "
                                 "where localisation = 'coordonnees'").fetchone()[0]
    assert by_coordinates > 0 and unlocated > 0  # the demo offer has both kinds
    # A service is "non localisé" only when it falls in no commune of the diagnostic.
    assert con.execute("select count(*) from intermediate.int_offre__services_localises where localisation = "
                       "'non_localise' and code_commune is not null").fetchone()[0] == 0


def test_t0_carries_provenance(con, demo_ws: Path) -> None:
    from tests.conftest import sha256

    publication = json.loads((demo_ws / "serving" / "publication.json").read_text())
    row = con.execute("""select sources_sha256, build_id, geo_millesime from marts.indicateurs_t0
        where niveau = 'epci' and indicateur_id = 'taux_pauvrete_60' and millesime = 2021 limit 1""").fetchone()
    assert sha256(demo_ws / "inbox" / "cc_filosofi_2021_COM.csv") in row[0].split(",")
    assert row[1] == publication["version"]
    assert row[2] == 2026
    millesimes = {r[0] for r in con.execute("select distinct millesime from marts.indicateurs_t0 "
                                            "where indicateur_id = 'taux_pauvrete_60'").fetchall()}
    assert {2019, 2021} <= millesimes  # several millésimes side by side


def test_template_lists_the_epci_of_a_departement_from_the_marts(con, demo_ws: Path) -> None:
    from ingestion.dispositifs_template import epci_du_departement

    listed = epci_du_departement(demo_ws, "16")
    expected = con.execute("select distinct code_epci || ' — ' || libelle from marts.besoins_epci "
                           "where code_departement = '16' order by 1").fetchall()
    assert listed == [r[0] for r in expected] and len(listed) >= 9
    assert epci_du_departement(demo_ws, "40") == []  # not a département of this diagnostic
