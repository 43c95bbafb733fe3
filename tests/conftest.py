"""Shared fixtures: real files from ../shared (skipped cleanly when absent) and published workspaces."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REAL = REPO.parent / "shared" / "data" / "real"
PACTE = REPO / "bin" / "pacte"
FILOSOFI_2021 = REAL / "insee_filosofi" / "cc_filosofi_2021_COM.csv"
EPCI_2024 = REAL / "insee_cog" / "EPCI_au_01-01-2024.xlsx"

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


def need_real(*paths: Path) -> None:
    missing = [p for p in paths if not p.exists()]
    if missing:
        pytest.skip(f"fichiers réels absents (../shared) : {', '.join(p.name for p in missing)}")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_cli(*args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PACTE), *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "200"})


def charente_filosofi(target: Path) -> Path:
    """The real 2021 commune file cut to Charente rows (same header, delimiter and encoding)."""
    lines = FILOSOFI_2021.read_text(encoding="utf-8").splitlines(keepends=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(lines[0] + "".join(line for line in lines[1:] if line.startswith("16")), encoding="utf-8")
    return target


def remplir_fiches(source: Path, cible: Path, sans_cible_2027: bool = False,
                   fiches: tuple[str, ...] = ("A3-01", "A4-04")) -> Path:
    """What the comité does: pilote, financement, one réalisation indicator with its annual targets, the
    cible 2027 of each résultat indicator."""
    import openpyxl

    wb = openpyxl.load_workbook(source)
    for nom in fiches:
        ws = wb[nom]
        lignes = {r[0].value: r[0].row for r in ws.iter_rows() if r[0].value}
        ws.cell(row=lignes["Pilote"], column=2, value="Conseil départemental (direction de l'insertion)")
        ws.cell(row=lignes["Financement : part État (€)"], column=2, value=120000)
        ws.cell(row=lignes["Financement : cofinancement du département (50 %) (€)"], column=2, value=120000)
        r = lignes["Indicateurs de réalisation (annuels)"] + 1
        for j, v in enumerate(["Personnes rencontrées en aller-vers", "personnes", 100, 250, 400, 500], start=1):
            ws.cell(row=r, column=j, value=v)
        debut = lignes["Indicateur de résultat (identifiant)"] + 1
        for row in range(debut, ws.max_row + 1):
            if ws.cell(row=row, column=1).value:
                ws.cell(row=row, column=9, value=None if sans_cible_2027 and nom == fiches[-1] else "16,5")
    wb.save(cible)
    return cible


@pytest.fixture(scope="session")
def charente_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`bin/pacte run --departement 16` on the real national Filosofi 2021 file and the INSEE EPCI 2024 file."""
    need_real(FILOSOFI_2021, EPCI_2024)
    root = tmp_path_factory.mktemp("charente")
    inbox = root / "inbox"
    inbox.mkdir()
    for f in (FILOSOFI_2021, EPCI_2024):
        (inbox / f.name).symlink_to(f)
    proc = run_cli("run", "--departement", "16", "--inbox", str(inbox), "--workspace", str(root / "ws"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root / "ws"


@pytest.fixture(scope="session")
def small_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published workspace built from the EPCI 2024 file and Charente's rows of the 2021 file."""
    need_real(FILOSOFI_2021, EPCI_2024)
    root = tmp_path_factory.mktemp("small")
    inbox = root / "inbox"
    inbox.mkdir()
    shutil.copy2(EPCI_2024, inbox / EPCI_2024.name)
    charente_filosofi(inbox / "cc_filosofi_2021_COM.csv")
    proc = run_cli("run", "--departement", "16", "--inbox", str(inbox), "--workspace", str(root / "ws"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root / "ws"


@pytest.fixture(scope="session")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The main job of `make demo` (through `airflow dags test`), without Superset, in a temporary workspace."""
    ws = tmp_path_factory.mktemp("demo") / "ws"
    proc = run_cli("demo", "--workspace", str(ws), "--sans-superset", timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "SYNTHÉTIQUES" in proc.stdout
    return ws


# Fixtures that run the whole chain (Airflow DAG, a full CLI run on national files, a real Superset): a test
# that uses one is end-to-end. `make test-fast` leaves them out (a developer's loop of a minute or two); CI
# (`make test`) runs everything.
E2E_FIXTURES = {"demo_ws", "charente_ws", "small_ws", "two_departements", "served_db", "superset_server",
                "besoins_ws", "t0_ws", "compare_ws", "rp_ws"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)
