"""`dbt docs generate` works on a published warehouse and every mart column is documented."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import yaml

from warehouse.dbt_runner import DBT_PROJECT


def test_every_mart_column_has_a_description_a_type_and_a_label() -> None:
    """Marts live in one folder per domain, each with its YAML: contract enforced by the folder's config,
    every column typed, described and labelled in French (meta.libelle, read by the dashboards)."""
    marts_dir = DBT_PROJECT / "models" / "marts"
    marts = {p.stem for p in marts_dir.glob("*/*.sql")}
    documented = {m["name"]: m for p in marts_dir.glob("*/_*__models.yml")
                  for m in yaml.safe_load(p.read_text(encoding="utf-8"))["models"]}
    assert marts == set(documented)
    assert not list(marts_dir.glob("*.sql")), "a mart belongs in its domain folder"
    project = yaml.safe_load((DBT_PROJECT / "dbt_project.yml").read_text(encoding="utf-8"))
    assert project["models"]["pacte"]["marts"]["+contract"]["enforced"] is True
    for name, model in documented.items():
        for column in model["columns"]:
            assert column.get("description") and column.get("data_type"), (name, column["name"])
            assert (column.get("meta") or {}).get("libelle"), (name, column["name"])
    for path in marts_dir.rglob("*.yml"):
        assert "&id" not in path.read_text(encoding="utf-8"), f"{path.name}: no YAML anchors"


def test_dbt_docs_generate_on_the_demo_warehouse(demo_ws: Path, tmp_path: Path) -> None:
    from dbt.cli.main import dbtRunner

    copy = tmp_path / "pacte.duckdb"  # docs generate connects read-write: never on the served file
    shutil.copyfile(demo_ws / "serving" / "pacte.duckdb", copy)
    os.environ["PACTE_BUILD_DB"] = str(copy)
    try:
        res = dbtRunner().invoke(["docs", "generate", "--project-dir", str(DBT_PROJECT), "--profiles-dir",
                                  str(DBT_PROJECT), "--target-path", str(tmp_path / "target"), "--log-path",
                                  str(tmp_path / "logs"), "--quiet"])
    finally:
        os.environ.pop("PACTE_BUILD_DB", None)
    assert res.success, res.exception
    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text())
    nodes = {n["metadata"]["name"]: n for n in catalog["nodes"].values()}
    assert "indicateurs_t0" in nodes and "valeur" in {c.lower() for c in nodes["indicateurs_t0"]["columns"]}


def test_taxonomy_seed_is_what_the_package_says() -> None:
    """dbt reads the data·inclusion référentiels from a committed seed; it must equal what the installed
    package (v1) and the last v0 wheel say (regenerate with dbt_project/scripts/update_taxonomy_seeds.py)."""
    import importlib.util

    script = DBT_PROJECT / "scripts" / "update_taxonomy_seeds.py"
    spec = importlib.util.spec_from_file_location("update_taxonomy_seeds", script)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = (DBT_PROJECT / "seeds" / "ref_data_inclusion__taxonomies.csv").read_text(encoding="utf-8")
    assert committed == module.expected_seed(), "lancez « make taxonomies » et committez le seed"
    assert "v1,thematiques,famille--garde-denfants,Garde d’enfants,famille" in committed
