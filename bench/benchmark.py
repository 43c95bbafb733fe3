"""Benchmark of the main job (a script that prints figures, not a test).

For one département, for a second département added to the same workspace (files already landed: build
and publish only) and for all of France (every département of the COG, national input files), it
measures the wall time of ingest + validate + build + publish (`bin/pacte run`), the peak memory of that
process tree (validation workers and dbt process included, as PSS), and the ratio to DuckDB's plain scan
(`read_csv` / `read_json`) of the same input files, measured in the same run. The one-département case is
also timed through Airflow (`airflow dags test pacte_diagnostic`, the path of `bin/pacte demo`: each task in
the same process, dbt in-process), Airflow's metadata database being migrated beforehand. Inputs are the demo
inbox: real geography (npm, PyPI) and synthetic national files in the published layouts.

Usage: .venvs/pipeline/bin/python bench/benchmark.py [--departement 16] [--sans-france] [--sans-airflow]
       [--sans-dix-fois] [--dossier DIR]
The schedule's incremental cases (issue 14) run in the one-département workspace: a refresh with nothing new
(same inbox: no build, no new version), then one new source file (the Filosofi 2021 file again, made unique
by a trailing newline: landed, built, published), then the additional département; each is also timed
through Airflow, in a workspace of its own. The 10× case runs all France on the same inbox plus ten years of
commune panels in the published layouts (France Travail DEFM by commune and quarter 2016-2025, CAF allocataires
by commune 2013-2022, synthetic) and reports the growth of the input and of the time.
Targets: refresh with nothing new ≤ 5 s; one new file ≤ 30 s; additional département ≤ 15 s; all France
≤ 60 s and ≤ 2 GB; 10× input: time growth ≤ 12× (issue 14); one département ≤ 20 s (issue 4).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from demo.inputs import build_demo_inbox, fetch_geography  # noqa: E402


def raw_scan(inbox: Path) -> tuple[float, int]:
    """Seconds for DuckDB to scan every delimited and JSON input file once (count of rows)."""
    con = duckdb.connect()
    rows = 0
    start = time.perf_counter()
    for path in sorted(inbox.iterdir()):
        if path.suffix.lower() == ".csv":
            rows += con.execute("select count(*) from read_csv(?, all_varchar = true, header = true)",
                                [str(path)]).fetchone()[0]
        elif path.suffix.lower() == ".json":
            rows += con.execute("select count(*) from read_json_auto(?, maximum_object_size = 100000000)",
                                [str(path)]).fetchone()[0]
    return time.perf_counter() - start, rows


def _tree_memory(proc: psutil.Process) -> tuple[int, int]:
    """Proportional and resident memory of a process and all its descendants (validation workers, the dbt
    process), in bytes. PSS splits the pages forked processes share, so its sum is the memory the tree
    really occupies; the RSS sum counts shared pages once per process and overstates it."""
    pss = rss = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            info = p.memory_full_info()
        except psutil.Error:
            continue
        pss += info.pss
        rss += info.rss
    return pss, rss


def timed_run(departement: str, inbox: Path, workspace: Path, airflow_home: Path | None = None
              ) -> tuple[float, float, float]:
    """Wall seconds and peak memory (MiB, whole process tree sampled every 50 ms: PSS sum, RSS sum) of one
    `bin/pacte run` in the given workspace, or of `airflow dags test pacte_diagnostic` with `airflow_home`."""
    if airflow_home is None:
        command, env = [str(REPO / "bin" / "pacte"), "run", "--departement", departement, "--inbox", str(inbox),
                        "--workspace", str(workspace)], None
    else:
        from warehouse.airflow_local import airflow_env

        conf = {"departement": departement, "inbox": str(inbox), "workspace": str(workspace)}
        command = [sys.executable, "-m", "airflow", "dags", "test", "pacte_diagnostic", "-c", json.dumps(conf)]
        env = airflow_env(airflow_home)
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak_pss = peak_rss = 0
    watched = psutil.Process(proc.pid)
    while proc.poll() is None:
        pss, rss = _tree_memory(watched)
        peak_pss, peak_rss = max(peak_pss, pss), max(peak_rss, rss)
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    out, err = proc.communicate()
    if proc.returncode != 0 or "state=failed" in out + err:
        raise RuntimeError(f"Échec de l'exécution ({departement}, {elapsed:.0f} s, pic {peak_pss / 2**20:.0f} Mio) :\n"
                           f"{out[-1500:]}\n{err[-1500:]}")
    return elapsed, peak_pss / 2**20, peak_rss / 2**20


def ten_fold_inbox(inbox: Path, target: Path) -> Path:
    """The inbox plus ten years of commune panels (synthetic, published layouts): DEFM by commune and quarter
    2016-2025 for all France, CAF allocataires by commune for 2013-2021 (2022 is in the inbox)."""
    from demo.synthetic.caf import MILLESIME, synthetic_territoires
    from demo.synthetic.context import DemoContext
    from demo.synthetic.france_travail import synthetic_defm

    target.mkdir(parents=True, exist_ok=True)
    for path in inbox.iterdir():
        if not (target / path.name).exists():
            shutil.copy2(path, target / path.name)
    ctx = DemoContext.from_geography(target, REPO / ".cache" / "registry",
                                     fetch_geography(REPO / ".cache" / "registry", 2024), "16")
    communes = ctx.communes
    trimestres = [f"{y}T{q}" for y in range(2016, 2026) for q in (1, 2, 3, 4)]
    panel = synthetic_defm(list(communes["code"]), list(communes["nom"]),
                           communes["population"].fillna(0).to_numpy(dtype=float), "COM", trimestres, seed=10)
    panel.to_csv(target / "defm_com_panel.csv", sep=";", index=False, lineterminator="\n")
    for year in range(MILLESIME - 9, MILLESIME):
        com, _ = synthetic_territoires(communes, ctx.epci_of, seed=year)
        com["DTREF"] = f"31/12/{year}"
        com.to_csv(target / f"caf_com_allocataires_{year}.csv", sep=";", index=False, lineterminator="\n")
    return target


def _size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.iterdir() if not p.name.startswith(".")) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description="Banc d'essai de la chaîne principale")
    parser.add_argument("--departement", default="16")
    parser.add_argument("--supplementaire", default="40",
                        help="département ajouté ensuite au même espace (fichiers déjà chargés : construction seule)")
    parser.add_argument("--sans-france", action="store_true", help="ne mesurer qu'un département")
    parser.add_argument("--sans-airflow", action="store_true", help="ne pas mesurer le chemin Airflow")
    parser.add_argument("--sans-dix-fois", action="store_true", help="ne pas mesurer la France entière × 10")
    parser.add_argument("--dossier", type=Path, help="dossier de travail (par défaut : temporaire)")
    args = parser.parse_args()
    root = args.dossier or Path(tempfile.mkdtemp(prefix="pacte-bench-"))
    inbox = root / "inbox"
    build_demo_inbox(inbox, REPO / ".cache" / "registry", args.departement)
    files = [p for p in inbox.iterdir() if not p.name.startswith(".")]  # not the lineage sidecar and marker
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    scan_s, scan_rows = raw_scan(inbox)
    results = {"fichiers_entree": len(files), "taille_entree_mo": round(size_mb, 1),
               "scan_duckdb_s": round(scan_s, 2), "lignes_scannees": scan_rows}
    # (label, départements, workspace): the additional département reuses the first workspace, where every
    # file is already landed — the everyday case of a second diagnostic on the same national files.
    new_file = root / "inbox_nouveau_fichier"
    new_file.mkdir(exist_ok=True)
    filosofi = next(p for p in files if p.name.startswith("cc_filosofi_2021_COM"))
    (new_file / filosofi.name).write_bytes(filosofi.read_bytes() + b"\n")
    # (label, départements, workspace, inbox, through Airflow)
    sequence = [("un_departement", args.departement, inbox), ("rafraichissement_sans_nouveaute", args.departement, inbox),
                ("un_nouveau_fichier", args.departement, new_file), ("dep_supplementaire", args.supplementaire, inbox)]
    runs = [(label, dep, "ws_un_departement", source, False) for label, dep, source in sequence]
    if not args.sans_airflow:
        runs += [(f"airflow_{label}", dep, "ws_airflow", source, True) for label, dep, source in sequence]
    if not args.sans_france:
        runs += [("france_entiere", "tous", "ws_france_entiere", inbox, False)]
        runs += [] if args.sans_airflow else [("airflow_france_entiere", "tous", "ws_airflow_france", inbox, True)]
        if not args.sans_dix_fois:
            big = ten_fold_inbox(inbox, root / "inbox_dix_fois")
            results["taille_entree_dix_fois_mo"] = round(_size_mb(big), 1)
            results["scan_duckdb_dix_fois_s"], results["lignes_scannees_dix_fois"] = raw_scan(big)
            runs += [("france_entiere_dix_fois", "tous", "ws_france_dix_fois", big, False)]
    airflow_home = root / "airflow_home"
    if not args.sans_airflow:
        from warehouse.airflow_local import ensure_db

        ensure_db(airflow_home)  # metadata database and pool: set-up, not part of a run
    for label, dep, ws_name, source, airflow in runs:
        ws = root / ws_name
        if label in ("un_departement", "airflow_un_departement") or label.startswith(("france", "airflow_france")):
            shutil.rmtree(ws, ignore_errors=True)
        versions = len(list((ws / "serving" / "versions").glob("*"))) if ws.exists() else 0
        try:
            wall, peak, peak_rss = timed_run(dep, source, ws, airflow_home if airflow else None)
        except RuntimeError as exc:  # reported with the other figures, not lost with them
            results[label] = {"departements": dep, "echec": str(exc)}
            print(exc, file=sys.stderr)
            continue
        nouvelle_version = len(list((ws / "serving" / "versions").glob("*"))) > versions
        with duckdb.connect(str(ws / "serving" / "pacte.duckdb"), read_only=True) as con:
            epci = con.execute("select count(distinct code_epci) from marts.indicateurs_epci").fetchone()[0]
            communes = con.execute("select count(distinct code_commune) from marts.indicateurs_commune").fetchone()[0]
        results[label] = {"departements": dep, "duree_s": round(wall, 1), "memoire_max_mio": round(peak),
                          "somme_rss_max_mio": round(peak_rss),
                          "ratio_scan": round(wall / scan_s, 1), "epci": epci, "communes": communes,
                          "nouvelle_version": nouvelle_version}
    if "duree_s" in results.get("france_entiere_dix_fois", {}) and "duree_s" in results.get("france_entiere", {}):
        results["croissance_dix_fois"] = {
            "entree": round(results["taille_entree_dix_fois_mo"] / results["taille_entree_mo"], 1),
            "lignes": round(results["lignes_scannees_dix_fois"] / results["lignes_scannees"], 1),
            "duree": round(results["france_entiere_dix_fois"]["duree_s"] / results["france_entiere"]["duree_s"], 1)}
    print(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"\nEntrées : {results['fichiers_entree']} fichiers, {results['taille_entree_mo']} Mo ; "
          f"scan DuckDB brut : {results['scan_duckdb_s']} s ({scan_rows} lignes)")
    for label, *_ in runs:
        r = results[label]
        if "echec" in r:
            print(f"{label:32s} : ÉCHEC — {r['echec'].splitlines()[0]}")
            continue
        print(f"{label:32s} : {r['duree_s']:7.1f} s, pic mémoire {r['memoire_max_mio']} Mio (PSS ; somme des RSS "
              f"{r['somme_rss_max_mio']} Mio), "
              f"{r['ratio_scan']} × le scan brut, {r['epci']} EPCI, {r['communes']} communes, "
              f"{'nouvelle version' if r['nouvelle_version'] else 'aucune nouvelle version'}")
    if "croissance_dix_fois" in results:
        g = results["croissance_dix_fois"]
        print(f"France entière avec les panels : entrée × {g['entree']} en octets "
              f"({results['taille_entree_dix_fois_mo']} Mo), × {g['lignes']} en lignes ; durée × {g['duree']}")


if __name__ == "__main__":
    main()
