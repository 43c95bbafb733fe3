"""Folders hold what they say: production code never imports the demo, warehouse/ is code only (runtime data
under var/), and the modules that Superset's environment loads stay standard-library only."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

PRODUCTION = ("ingestion", "expectations", "warehouse", "dags")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_production_code_never_imports_the_demo() -> None:
    offenders = {str(p.relative_to(REPO)): sorted(n for n in _imports(p) if n.split(".")[0] == "demo")
                 for folder in PRODUCTION for p in (REPO / folder).rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_modules_loaded_by_superset_use_the_standard_library_only() -> None:
    for relative in ("ingestion/reference.py", "warehouse/supervisor.py", "warehouse/settings.py"):
        top = {n.split(".")[0] for n in _imports(REPO / relative)}
        assert top <= set(sys.stdlib_module_names) | {"__future__"}, (relative, top)


def test_warehouse_is_code_and_var_is_data() -> None:
    def ignored(path: str) -> bool:
        return subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO).returncode == 0

    assert not ignored("warehouse/local/airflow.py") and not ignored("warehouse/sub/__init__.py")
    assert ignored("var/workspace/serving/pacte.duckdb") and ignored("var/demo/landing/_manifest.json")
    assert ignored("warehouse/demo/serving/pacte.duckdb")  # an older checkout's workspace stays out of git


# Package (or project folder) → the tests folder that exercises it.
TEST_FOLDERS = {"ingestion": "ingestion", "expectations": "ingestion", "warehouse": "warehouse",
                "dbt_project": "dbt", "dashboards": "dashboards", "dags": "orchestration", "demo": "demo"}


def test_tests_mirror_the_packages() -> None:
    """Every test file lives under the folder of the package it exercises (tests/<package>/...), only the
    layout test itself stays at the top."""
    assert {p.name for p in (REPO / "tests").glob("test_*.py")} == {"test_layout.py"}
    for package, folder in TEST_FOLDERS.items():
        assert (REPO / package).is_dir(), package
        assert list((REPO / "tests" / folder).rglob("test_*.py")), f"no tests for {package} in tests/{folder}"
    unknown = {p.name for p in (REPO / "tests").iterdir() if p.is_dir()} - set(TEST_FOLDERS.values()) - {
        "data", "artifacts", "__pycache__"}
    assert unknown == set()
