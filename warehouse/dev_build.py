"""`make dbt-build`: the dbt project built by the dbt command line alone, for whoever works on the models.

The production path (warehouse.build) prepares a fresh build file for each run. Here the same preparation —
schema `raw` as views over a workspace's landed Parquet, schema `construction` with the parameters — goes
into dbt's own default file, `dbt_project/target/dev.duckdb` (the profile's default path). After that, plain
dbt commands run from `dbt_project/` against it: `dbt build -s int_besoins__valeurs+`, `dbt test`, `dbt docs
generate`. Nothing here publishes anything: the served file of the workspace is never touched.

    python -m warehouse.dev_build [--workspace var/demo] [--departement 16 ...] [--geo 2024] [--fichier F]
                                  [-- dbt arguments, e.g. -s int_besoins__valeurs+]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from ingestion.errors import PacteError
from warehouse.build import load_raw, write_parameters
from warehouse.dbt_runner import DBT_PROJECT
from warehouse.run import choose_geo_millesime, resolve_departements
from warehouse.workspace import Workspace

DEV_DB = DBT_PROJECT / "target" / "dev.duckdb"  # the profile's default path, from dbt_project/


def prepare(ws: Workspace, departements: list[str], geo_millesime: int | None, path: Path = DEV_DB) -> Path:
    """A fresh dev file holding the workspace's landed data (views) and the parameters of a build."""
    if not ws.landing.manifest():
        raise PacteError(f"Aucun fichier chargé dans l'espace {ws.root} : lancez d'abord « bin/pacte run » "
                         "(ou « make demo » pour l'espace de démonstration var/demo).")
    geo = choose_geo_millesime(ws, geo_millesime)
    codes = resolve_departements(ws, departements or ws.departements(), geo)
    if not codes:
        raise PacteError(f"Aucun département dans l'espace {ws.root} : précisez --departement.")
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (path, path.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    load_raw(ws, path, ws.landing.manifest())
    write_parameters(path, codes, geo, "dev")
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    dbt_args = args[args.index("--") + 1:] if "--" in args else []
    ours = args[: args.index("--")] if "--" in args else args
    parser = argparse.ArgumentParser(prog="make dbt-build", description="Construit le projet dbt seul, "
                                     "sur les données chargées d'un espace de travail (sans publier).")
    parser.add_argument("--workspace", default="var/demo", help="espace de travail (défaut : var/demo)")
    parser.add_argument("--departement", action="append", default=[], help="département (défaut : ceux de l'espace)")
    parser.add_argument("--geo", type=int, default=None, help="millésime du COG (défaut : le plus récent chargé)")
    parser.add_argument("--fichier", type=Path, default=DEV_DB, help=f"fichier construit (défaut : {DEV_DB})")
    opts = parser.parse_args(ours)
    try:
        path = prepare(Workspace.at(opts.workspace), opts.departement, opts.geo, opts.fichier.resolve())
    except PacteError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    print(f"Fichier de développement prêt : {path} (espace {opts.workspace}). Lancement de dbt build…")
    env = {**os.environ, "PACTE_BUILD_DB": str(path)}
    dbt = Path(sys.executable).with_name("dbt")
    return subprocess.call([str(dbt), "build", *(dbt_args or [])], cwd=DBT_PROJECT, env=env)


if __name__ == "__main__":
    sys.exit(main())
