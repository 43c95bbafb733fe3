"""T0 / T+3 comparison end to end through `bin/pacte`, on real files for Charente: a T0 built from Filosofi 2019
(FILO2019_DISP_COM + FILO2019_DISP_EPCI) on COG 2023 (Etalab decoupage-administratif v3.1.1), frozen; a T+3
from Filosofi 2021 on COG 2026 (v6.0.0); `bin/pacte compare`. The geography changes are found from the Etalab
files themselves and every value of marts.comparaison_t0 is checked against an independent computation.

Between COG 2023 and COG 2026 Charente has communes nouvelles but no EPCI whose perimeter changed (asserted
from the files); the rebuild of a changed territory is then exercised on a T+3 geography derived from the real
COG 2026 with one real commune moved from one EPCI to another (`simule_cog2027`)."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from tests.conftest import FILOSOFI_2021, REAL, charente_filosofi, need_real, run_cli

ETALAB = REAL / "etalab_decoupage_administratif"
COG_2023, COG_2026 = ETALAB / "v3.1.1_cog2023", ETALAB / "v6.0.0_cog2026"
FILO_2019_COM = REAL / "insee_filosofi" / "FILO2019_DISP_COM.csv"
FILO_2019_EPCI = REAL / "insee_filosofi" / "FILO2019_DISP_EPCI.csv"
MOVED_FROM, MOVED_TO = "200070282", "200071827"  # CC Lavalette Tude Dronne → CA du Grand Angoulême


# --- the geography, read independently from the Etalab files ------------------------------------------------
def _communes(folder: Path) -> list[dict[str, Any]]:
    return json.loads((folder / "communes.json").read_text(encoding="utf-8"))


def _epci_of(folder: Path) -> dict[str, str]:
    return {m["code"]: e["code"] for e in json.loads((folder / "epci.json").read_text(encoding="utf-8"))
            for m in e["membres"]}


def _passage(folder: Path) -> dict[str, str]:
    """Old code → current code: `anciensCodes` of current communes, chef-lieu of communes déléguées/associées."""
    out: dict[str, str] = {}
    for c in _communes(folder):
        for old in c.get("anciensCodes") or []:
            out.setdefault(old, c["code"])
    for c in _communes(folder):
        if c["type"] != "commune-actuelle" and c.get("chefLieu"):
            out.setdefault(c["code"], c["chefLieu"])
    return {k: v for k, v in out.items() if k != v}


def _current(folder: Path, dep: str = "16") -> dict[str, dict[str, Any]]:
    return {c["code"]: c for c in _communes(folder) if c["type"] == "commune-actuelle" and c["departement"] == dep}


def _members(folder: Path, epci_folder: Path | None = None) -> dict[str, set[str]]:
    epci = _epci_of(epci_folder or folder)
    out: dict[str, set[str]] = defaultdict(set)
    for code in _current(folder):
        out[epci[code]].add(code)
    return out


def _nbmen_2019() -> dict[str, float]:
    """NBMEN19 of the Charente rows of the 2019 commune file, by code (geography of the file)."""
    lines = FILO_2019_COM.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(";")
    out = {}
    for line in lines[1:]:
        row = dict(zip(header, line.split(";"), strict=False))
        if row["CODGEO"].startswith("16") and row["NBMEN19"]:
            out[row["CODGEO"]] = float(row["NBMEN19"].replace(",", "."))
    return out


# --- the chain ---------------------------------------------------------------------------------------------
def _run(*args: str) -> str:
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def _rows(ws: Path) -> list[dict[str, Any]]:
    with duckdb.connect(str(ws / "serving" / "pacte.duckdb"), read_only=True) as con:
        cur = con.execute("SELECT * FROM marts.comparaison_t0")
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _served(ws: Path, query: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(ws / "serving" / "pacte.duckdb"), read_only=True) as con:
        return con.execute(query).fetchall()


@pytest.fixture(scope="module")
def compare_ws(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    need_real(FILO_2019_COM, FILO_2019_EPCI, FILOSOFI_2021, COG_2023 / "epci.json", COG_2026 / "epci.json")
    root = tmp_path_factory.mktemp("comparaison")
    ws = root / "ws"
    # T0: Filosofi 2019 on COG 2023
    inbox0 = root / "inbox-t0"
    shutil.copytree(COG_2023, inbox0 / COG_2023.name)
    (inbox0 / "filosofi").mkdir()
    data = FILO_2019_COM.read_bytes().split(b"\r\n")
    (inbox0 / "filosofi" / FILO_2019_COM.name).write_bytes(
        b"\r\n".join([data[0], *(line for line in data[1:] if line.startswith(b"16"))]) + b"\r\n")
    shutil.copy2(FILO_2019_EPCI, inbox0 / "filosofi" / FILO_2019_EPCI.name)
    _run("run", "--departement", "16", "--inbox", str(inbox0), "--workspace", str(ws), "--geo-millesime", "2023")
    _run("t0", "freeze", "--label", "T0-2019", "--departement", "16", "--workspace", str(ws))
    # T+3: Filosofi 2021 on COG 2026, compared with the T0
    inbox3 = root / "inbox-t3"
    shutil.copytree(COG_2026, inbox3 / COG_2026.name)
    charente_filosofi(inbox3 / "filosofi" / FILOSOFI_2021.name)
    _run("run", "--departement", "16", "--inbox", str(inbox3), "--workspace", str(ws))
    said = _run("compare", "--t0", "T0-2019", "--departement", "16", "--workspace", str(ws))
    out: dict[str, Any] = {"ws": ws, "said": " ".join(said.split()), "cog2026": _rows(ws)}
    out["t3_2021"] = {(r[0], r[1]): r[2] for r in _served(
        ws, "SELECT code_territoire, indicateur_id, valeur FROM marts.indicateurs_t0 WHERE millesime = 2021 "
            "AND niveau = 'epci'")}
    # the same T+3 frozen, and compared as a snapshot (--avec)
    _run("t0", "freeze", "--label", "T3-2021", "--departement", "16", "--workspace", str(ws))
    out["excel"] = root / "comite" / "suivi-16.xlsx"
    _run("compare", "--t0", "T0-2019", "--departement", "16", "--avec", "T3-2021", "--workspace", str(ws),
         "--excel", str(out["excel"]))
    out["avec"] = _rows(ws)
    # a T+3 geography where one real commune changed EPCI: every recorded comparison is rebuilt on it
    inbox4 = root / "inbox-t3-simule"
    folder = inbox4 / "simule_cog2027"
    folder.mkdir(parents=True)
    for name in ("communes.json", "departements.json"):  # re-serialised: not the 2026 files' checksums
        (folder / name).write_text(json.dumps(json.loads((COG_2026 / name).read_text(encoding="utf-8")),
                                              ensure_ascii=False), encoding="utf-8")
    epci = json.loads((COG_2026 / "epci.json").read_text(encoding="utf-8"))
    source = next(e for e in epci if e["code"] == MOVED_FROM)
    moved = source["membres"].pop(0)
    next(e for e in epci if e["code"] == MOVED_TO)["membres"].append(moved)
    (folder / "epci.json").write_text(json.dumps(epci, ensure_ascii=False), encoding="utf-8")
    _run("run", "--departement", "16", "--inbox", str(inbox4), "--workspace", str(ws))
    out["cog2027"], out["moved"], out["cog2027_dir"] = _rows(ws), moved["code"], folder
    return out


def _by(rows: list[dict[str, Any]], comparee_a: str = "version publiée") -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["code_territoire"], r["indicateur_id"]): r for r in rows if r["comparee_a"] == comparee_a}


def test_every_row_has_a_status_and_its_rule(compare_ws: dict[str, Any]) -> None:
    assert "Comparaison publiée" in compare_ws["said"] and "comparable :" in compare_ws["said"]
    assert "territoire(s) au périmètre modifié entre les deux COG : 0" in compare_ws["said"]
    for key in ("cog2026", "avec", "cog2027"):
        rows = compare_ws[key]
        assert rows
        for r in rows:
            assert r["statut_comparabilite"] in {"comparable", "rebase", "niveau_seul", "rupture"}, r
            assert r["regle_id"] and r["regle_explication"] and r["geographie"], r
            if r["statut_comparabilite"] in {"niveau_seul", "rupture"}:
                assert r["evolution_absolue"] is None and r["direction"] is None, r


def test_communes_nouvelles_2023_2026_are_matched_and_no_epci_changed(compare_ws: dict[str, Any]) -> None:
    passage = _passage(COG_2026)
    old, new = _current(COG_2023), _current(COG_2026)
    nouvelles = {c: passage[c] for c in old if c not in new}
    assert nouvelles and all(v in new for v in nouvelles.values())  # e.g. 16147 → 16198, found from the files
    assert nouvelles.get("16147") == "16198"
    t0_sets: dict[str, set[str]] = defaultdict(set)
    epci_2023 = _epci_of(COG_2023)
    for code in old:
        t0_sets[epci_2023[code]].add(passage.get(code, code))
    t3_sets = _members(COG_2026)
    assert t0_sets == t3_sets  # no EPCI of Charente changed perimeter between COG 2023 and COG 2026

    rows = _by(compare_ws["cog2026"])
    epci_rows = [r for r in rows.values() if r["niveau"] == "epci"]
    assert {r["code_territoire"] for r in epci_rows} == set(t3_sets)
    for r in rows.values():
        assert r["perimetre_modifie"] is False and r["origine_t0"] == "propre"
        assert r["communes_t0_non_rattachees"] == 0 and r["codes_t0_non_rattaches"] is None
        assert (r["geo_millesime_t0"], r["geo_millesime_t3"]) == (2023, 2026)
        if r["niveau"] == "epci":
            assert r["communes_t3"] == len(t3_sets[r["code_territoire"]])
    assert rows[("16", "nb_menages_fiscaux")]["communes_t3"] == len(new)


def test_unchanged_epci_compare_the_frozen_t0_with_the_t3(compare_ws: dict[str, Any]) -> None:
    frozen = pq.read_table(compare_ws["ws"] / "t0" / "T0-2019" / "indicateurs_t0.parquet").to_pylist()
    t0 = {(r["code_territoire"], r["indicateur_id"]): r["valeur"] for r in frozen
          if r["niveau"] == "epci" and r["millesime"] == 2019}
    rows = _by(compare_ws["cog2026"])
    checked = 0
    for (code, indicateur), r in rows.items():
        if r["niveau"] != "epci" or indicateur != "nb_menages_fiscaux":
            continue
        assert r["valeur_t0"] == t0[(code, indicateur)] and r["millesime_t0"] == 2019
        assert r["valeur_t3"] == compare_ws["t3_2021"][(code, indicateur)] and r["millesime_t3"] == 2021
        assert (r["statut_comparabilite"], r["regle_id"]) == ("comparable", "filosofi_meme_methode")
        assert r["evolution_absolue"] == pytest.approx(r["valeur_t3"] - r["valeur_t0"])
        assert r["evolution_relative"] == pytest.approx(100 * (r["valeur_t3"] - r["valeur_t0"]) / r["valeur_t0"],
                                                        abs=0.01)
        assert r["direction"] in {"hausse", "baisse", "stable"}  # « neutre » in the catalogue: no judgement
        checked += 1
    assert checked == len(_members(COG_2026)) == 9
    angouleme = rows[("200071827", "nb_menages_fiscaux")]
    assert (angouleme["valeur_t0"], angouleme["valeur_t3"]) == (64649.0, 65887.0)  # FILO 2019 EPCI / 2021 sums
    # Filosofi 2021 commune file: no EPCI median; the level of 2019 is shown, never a change
    median = rows[("200071827", "niveau_vie_median")]
    assert (median["valeur_t0"], median["valeur_t3"], median["statut_comparabilite"], median["regle_id"]) == (
        21400.0, None, "niveau_seul", "valeur_absente")


def test_compared_with_a_frozen_t3_gives_the_same_rows(compare_ws: dict[str, Any]) -> None:
    fields = ("valeur_t0", "millesime_t0", "valeur_t3", "millesime_t3", "statut_comparabilite", "regle_id",
              "evolution_absolue", "perimetre_modifie")
    published = {k: tuple(r[f] for f in fields) for k, r in _by(compare_ws["avec"]).items()}
    frozen = {k: tuple(r[f] for f in fields) for k, r in _by(compare_ws["avec"], "T3-2021").items()}
    assert frozen and frozen == published


def test_a_changed_perimeter_rebuilds_the_t0_from_its_communes(compare_ws: dict[str, Any]) -> None:
    moved = compare_ws["moved"]
    t3_sets = _members(COG_2026, compare_ws["cog2027_dir"])
    assert moved in t3_sets[MOVED_TO] and moved not in t3_sets[MOVED_FROM]
    # independent re-aggregation: 2019 file codes → COG 2023 codes → COG 2026 codes, NBMEN19 summed
    p23, p26 = _passage(COG_2023), _passage(COG_2026)
    by_t3: dict[str, float] = defaultdict(float)
    t0_with_value: set[str] = set()
    for code, nbmen in _nbmen_2019().items():
        code23 = p23.get(code, code)
        t0_with_value.add(code23)
        by_t3[p26.get(code23, code23)] += nbmen
    population = {c: x["population"] or 0 for c, x in _current(COG_2023).items()}
    rows = _by(compare_ws["cog2027"])
    for epci in (MOVED_FROM, MOVED_TO):
        r = rows[(epci, "nb_menages_fiscaux")]
        assert r["perimetre_modifie"] is True and r["origine_t0"] == "reagregee"
        assert (r["statut_comparabilite"], r["regle_id"]) == ("rebase", "cog_perimetre_rebase")
        assert r["valeur_t0"] == pytest.approx(sum(by_t3[c] for c in t3_sets[epci]))
        assert r["evolution_absolue"] == pytest.approx(r["valeur_t3"] - r["valeur_t0"], abs=1e-3)
        t0_communes = [c for c in population if p26.get(c, c) in t3_sets[epci]]
        share = 100 * sum(population[c] for c in t0_communes if c in t0_with_value) / sum(
            population[c] for c in t0_communes)
        assert r["part_population_reexprimee"] == pytest.approx(share, abs=0.05)
        assert "T0 recalculé" in r["geographie"] and "COG 2027" in r["geographie"]
        median = rows[(epci, "niveau_vie_median")]
        assert (median["statut_comparabilite"], median["regle_id"], median["evolution_absolue"]) == (
            "niveau_seul", "cog_perimetre_non_additif", None)
    assert (rows[(MOVED_TO, "nb_menages_fiscaux")]["communes_ajoutees"],
            rows[(MOVED_FROM, "nb_menages_fiscaux")]["communes_retirees"]) == (1, 1)
    unchanged = [r for (code, _), r in rows.items() if code not in (MOVED_FROM, MOVED_TO, "16")]
    assert unchanged and not any(r["perimetre_modifie"] for r in unchanged)


def test_the_workbook_shows_every_row_of_the_comparison(compare_ws: dict[str, Any]) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(compare_ws["excel"], read_only=True)
    assert wb.sheetnames == ["Lisez-moi", "Axe 1", "Axe 2", "Axe 3", "Contexte"]
    rows = [r for r in compare_ws["avec"] if r["comparee_a"] == "T3-2021"]
    lines = [line for name in wb.sheetnames[1:] for line in list(wb[name].iter_rows(values_only=True))[1:]]
    assert len(lines) == len(rows)
    header = next(wb["Contexte"].iter_rows(values_only=True))
    by = {(line[header.index("Territoire")], line[header.index("Indicateur")]): line for line in lines}
    angouleme = by[("CA du Grand Angoulême", "Nombre de ménages fiscaux")]
    assert (angouleme[header.index("Valeur T0")], angouleme[header.index("Valeur T+3")],
            angouleme[header.index("Évolution")], angouleme[header.index("Direction")],
            angouleme[header.index("Comparabilité")]) == (64649.0, 65887.0, 1238.0, "hausse (sans sens de lecture)",
                                                          "comparable")
