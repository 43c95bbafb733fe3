"""Faults: `kill -9` of a whole run at random points never leaves a workspace that readers or the next run
cannot use. Marked slow (≈ 20 runs): `make test-slow`; results in the README (« Pannes »)."""

from __future__ import annotations

import fcntl
import json
import os
import random
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from tests.conftest import EPCI_2024, FILOSOFI_2021, PACTE, charente_filosofi, need_real
from warehouse.cli import main
from warehouse.publish import current_publication
from warehouse.workspace import Workspace

KILLS = 20


def _inbox(tmp_path: Path, n: int) -> Path:
    """A Charente extract made unique (n trailing newlines), so each run lands, builds and publishes."""
    f = charente_filosofi(tmp_path / f"inbox_{n}" / "cc_filosofi_2021_COM.csv")
    f.write_text(f.read_text(encoding="utf-8") + "\n" * (n + 1), encoding="utf-8")
    return f.parent


def _assert_usable(ws: Workspace) -> str:
    """The served file opens read-only, agrees with its publication metadata, and nobody holds the lock."""
    publication = current_publication(ws)
    assert publication is not None
    with duckdb.connect(str(ws.served_db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM marts.indicateurs_epci").fetchone()[0] > 0
        run_ids = {r[0] for r in con.execute("SELECT run_id FROM marts.provenance").fetchall()}
    assert publication["version"] in run_ids, (publication["version"], run_ids)
    with (ws.root / ".ecriture.lock").open("a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if a dead run's lock were still held
        fcntl.flock(fh, fcntl.LOCK_UN)
    return str(publication["version"])


@pytest.mark.slow
@pytest.mark.timeout(3600)  # 20 runs and more on a loaded 2-core machine
def test_kill_9_at_random_points_of_a_run(small_ws: Path, tmp_path: Path) -> None:
    need_real(FILOSOFI_2021, EPCI_2024)
    root = tmp_path / "ws"
    shutil.copytree(small_ws, root)
    ws = Workspace.at(root)
    started = time.monotonic()
    assert main(["run", "--departement", "16", "--inbox", str(_inbox(tmp_path, 0)), "--workspace", str(root)]) == 0
    full_run = time.monotonic() - started
    rng = random.Random(20261201)  # reproducible kill points
    phases: Counter[str] = Counter()
    for n in range(1, KILLS + 1):
        version_before = _assert_usable(ws)
        proc = subprocess.Popen([str(PACTE), "run", "--departement", "16", "--inbox", str(_inbox(tmp_path, n)),
                                 "--workspace", str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        deadline = time.monotonic() + rng.uniform(0.1, full_run * 1.1)
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        if proc.poll() is None:
            building = any((root / "build").glob("*/pacte.duckdb"))
            os.killpg(proc.pid, signal.SIGKILL)
            phases["construction" if building else "lecture et validation"] += 1
        else:
            phases["après la fin"] += 1
        proc.wait()
        version_after = _assert_usable(ws)
        if version_after != version_before:
            phases["publié avant l'arrêt"] += 1
    # The next run completes and publishes; the status mirror is repaired if a publication was cut.
    assert main(["run", "--departement", "16", "--inbox", str(_inbox(tmp_path, KILLS + 1)),
                 "--workspace", str(root)]) == 0
    final = _assert_usable(ws)
    assert json.loads(ws.publication_path.read_text(encoding="utf-8"))["version"] == final
    assert not any((root / "build").iterdir())
    print(f"\nkill -9 : {KILLS} arrêts, exécution complète {full_run:.1f} s ; moments : {dict(phases)}")
