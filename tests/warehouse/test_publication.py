"""One writer, atomic publication: readers never block a publish, a killed build never reaches readers."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import EPCI_2024, FILOSOFI_2021, PACTE, charente_filosofi, need_real, sha256
from warehouse.cli import main

_NEW_FILES = itertools.count(1)


def _inbox_with_new_file(tmp_path: Path, tag: str) -> Path:
    """A Charente extract made unique within the session (a different number of trailing newlines at each
    call: the tests share one workspace, where a file already landed is nothing new) so it is landed and rebuilt."""
    inbox = tmp_path / f"inbox_{tag}"
    f = charente_filosofi(inbox / "cc_filosofi_2021_COM.csv")
    f.write_text(f.read_text(encoding="utf-8") + "\n" * next(_NEW_FILES), encoding="utf-8")
    return inbox


def test_publish_while_a_reader_holds_the_served_file(small_ws: Path, tmp_path: Path) -> None:
    need_real(FILOSOFI_2021, EPCI_2024)
    served = small_ws / "serving" / "pacte.duckdb"
    version_before = json.loads((small_ws / "serving" / "publication.json").read_text())["version"]
    reader = duckdb.connect(str(served), read_only=True)
    try:
        before = reader.execute("select count(*) from marts.indicateurs_commune").fetchone()[0]
        assert main(["run", "--departement", "16", "--inbox", str(_inbox_with_new_file(tmp_path, "a")),
                     "--workspace", str(small_ws)]) == 0
        # The open reader keeps its snapshot and still answers.
        assert reader.execute("select count(*) from marts.indicateurs_commune").fetchone()[0] == before
    finally:
        reader.close()
    publication = json.loads((small_ws / "serving" / "publication.json").read_text())
    assert publication["version"] != version_before
    with duckdb.connect(str(served), read_only=True) as fresh:
        run_ids = {r[0] for r in fresh.execute("select run_id from marts.provenance").fetchall()}
    assert publication["version"] in run_ids
    # The previous version is kept beside the served one.
    assert (small_ws / "serving" / "versions" / version_before / "pacte.duckdb").exists()


def test_readers_opening_the_served_file_during_a_publication_never_fail(small_ws: Path, tmp_path: Path) -> None:
    """Superset and the reports open the served file for every query: a loop of such readers runs across a
    whole run (validation, build, publication) and must see one version or the other, never an error."""
    import threading

    need_real(FILOSOFI_2021, EPCI_2024)
    served = small_ws / "serving" / "pacte.duckdb"
    errors: list[str] = []
    versions: list[str] = []
    stop = threading.Event()

    def read_loop() -> None:
        while not stop.is_set() and len(versions) < 100_000:  # bounded
            try:
                with duckdb.connect(str(served), read_only=True) as con:
                    versions.append(con.execute("SELECT max(run_id) FROM marts.provenance").fetchone()[0])
            except duckdb.Error as exc:
                errors.append(str(exc))

    reader = threading.Thread(target=read_loop)
    reader.start()
    try:
        code = main(["run", "--departement", "16", "--inbox", str(_inbox_with_new_file(tmp_path, "boucle_de_lecture")),
                     "--workspace", str(small_ws)])
        time.sleep(0.5)  # a few reads of the new version
    finally:
        stop.set()
        reader.join(timeout=60)
    assert code == 0
    assert errors == []
    published = json.loads((small_ws / "serving" / "publication.json").read_text())["version"]
    assert len(set(versions)) == 2 and versions[-1] == published, (len(versions), set(versions))


def test_killed_build_leaves_the_served_file_intact(small_ws: Path, tmp_path: Path) -> None:
    need_real(FILOSOFI_2021, EPCI_2024)
    served = small_ws / "serving" / "pacte.duckdb"
    before = sha256(served)
    proc = subprocess.Popen([str(PACTE), "run", "--departement", "16", "--inbox", str(_inbox_with_new_file(tmp_path, "kill")),
                             "--workspace", str(small_ws)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not list((small_ws / "build").glob("*/pacte.duckdb")):
        assert proc.poll() is None, "the run ended before its build started"
        time.sleep(0.05)
    assert list((small_ws / "build").glob("*/pacte.duckdb")), "build never started"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert sha256(served) == before
    with duckdb.connect(str(served), read_only=True) as con:
        assert con.execute("select count(*) from marts.indicateurs_epci").fetchone()[0] > 0
    # The next run cleans the half-built copy and publishes normally (the lock died with the process).
    assert main(["run", "--departement", "16", "--inbox", str(_inbox_with_new_file(tmp_path, "after")),
                 "--workspace", str(small_ws)]) == 0
    assert sha256(served) != before
    assert len(list((small_ws / "build").iterdir())) == 0


def test_a_second_writer_is_refused_while_the_first_runs(small_ws: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from warehouse.workspace import Workspace

    ws = Workspace.at(small_ws)
    with ws.writer_lock():
        code = main(["run", "--departement", "16", "--inbox", str(tmp_path), "--workspace", str(small_ws)])
    assert code == 1
    assert "Un autre traitement écrit déjà" in capsys.readouterr().err


def test_a_failed_dbt_build_is_reported_in_french_and_nothing_is_published(
        small_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """dbt runs in a child process started by the run (DbtRunner(background=True)): its failure must come back as
    the run's French error, with the failing model, and leave the served file and no process behind."""
    import functools
    import multiprocessing

    from warehouse import run
    from warehouse.dbt_runner import DbtRunner

    need_real(FILOSOFI_2021, EPCI_2024)
    served = small_ws / "serving" / "pacte.duckdb"
    before = sha256(served)
    manifest_before = (small_ws / "landing" / "_manifest.json").read_bytes()
    # A coverage rule that is not a number breaks the SQL of the gaps (int_ecarts__ecarts_epci).
    regle = json.dumps({"couverture": {"ecart_partiel": "pas_un_nombre", "part_population_min": 50}})
    monkeypatch.setattr(run, "DbtRunner", functools.partial(DbtRunner, extra=("--vars", regle)))
    code = main(["run", "--departement", "16", "--inbox", str(_inbox_with_new_file(tmp_path, "dbt")),
                 "--workspace", str(small_ws)])
    err = capsys.readouterr().err.replace("\n", "")  # the console wraps long messages
    assert code == 2
    assert "La construction dbt a échoué (1 erreur(s)) : int_ecarts__ecarts_epci" in err and "dbt.log" in err
    # The run's file is withdrawn: the landing zone is back to what the served version was built from.
    assert "Fichier(s) retiré(s) de la zone d'atterrissage" in err and "• cc_filosofi_2021_COM.csv" in err
    assert (small_ws / "landing" / "_manifest.json").read_bytes() == manifest_before
    assert sha256(served) == before
    assert multiprocessing.active_children() == []


def test_a_parquet_file_left_out_of_the_manifest_is_never_built(small_ws: Path, tmp_path: Path) -> None:
    """A run killed between moving its Parquet into landing/ and writing the manifest leaves an orphan: the
    next run deletes it before landing (it would set Angoulême's poverty rate to 99) and publishes."""
    import pandas as pd

    from warehouse.workspace import Workspace

    need_real(FILOSOFI_2021, EPCI_2024)
    ws = Workspace.at(small_ws)
    landed = ws.landing.files_for("filosofi")[0]
    frame = pd.read_parquet(landed)
    frame.loc[(frame.code_geo == "16015") & (frame.variable == "TP60"), "valeur"] = 99.0
    frame["_charge_le"] = pd.Timestamp("2099-01-01")  # would win the « latest file » rule of staging
    frame["_sha256"] = "0" * 64
    orphan = landed.with_name("insee_filosofi__0000000000000000.parquet")
    frame.to_parquet(orphan, index=False)
    assert ws.landing.orphans() == [orphan]

    assert main(["run", "--departement", "16", "--inbox", str(_inbox_with_new_file(tmp_path, "orphelin")),
                 "--workspace", str(small_ws)]) == 0
    assert not orphan.exists() and ws.landing.orphans() == []
    with duckdb.connect(str(ws.served_db), read_only=True) as con:
        assert con.execute("select valeur from marts.indicateurs_commune where code_commune = '16015' and "
                           "indicateur_id = 'taux_pauvrete_60' and millesime = 2021").fetchone()[0] == 26.0
        assert con.execute("select count(*) from raw.filosofi where _sha256 = ?", ["0" * 64]).fetchone()[0] == 0


def test_the_build_reads_only_the_manifest_files(small_ws: Path, tmp_path: Path) -> None:
    """Even without a commit to sweep it first (`build_warehouse` only builds), an orphan is not in the build's
    raw views."""
    from warehouse.build import load_raw
    from warehouse.workspace import Workspace

    need_real(FILOSOFI_2021, EPCI_2024)
    ws = Workspace.at(small_ws)
    landed = ws.landing.files_for("filosofi")
    orphan = landed[0].with_name("insee_filosofi__1111111111111111.parquet")
    orphan.write_bytes(landed[0].read_bytes())
    try:
        db = tmp_path / "pacte.duckdb"
        load_raw(ws, db, ws.landing.manifest())
        with duckdb.connect(str(db), read_only=True) as con:
            sql = con.execute("select sql from duckdb_views() where schema_name = 'raw' "
                              "and view_name = 'filosofi'").fetchone()[0]
            n = con.execute("select count(*) from raw.filosofi").fetchone()[0]
        assert str(orphan) not in sql and all(str(f) in sql for f in landed)
        assert n == sum(e["tables"]["filosofi"] for e in ws.landing.manifest().values() if "filosofi" in e["tables"])
    finally:
        orphan.unlink()


def test_status_always_describes_the_served_file(small_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """A publication killed between swapping the served file in and rewriting serving/publication.json: the
    status (`bin/pacte status`, current_publication) is read from the served file's version folder, so it
    names the version actually served; the next writer repairs the copy."""
    from warehouse import publish as publish_module
    from warehouse.publish import current_publication
    from warehouse.workspace import Workspace

    need_real(FILOSOFI_2021, EPCI_2024)
    ws = Workspace.at(small_ws)
    old = json.loads(ws.publication_path.read_text())["version"]

    class Killed(BaseException):
        pass

    real_write = publish_module._write_json

    def killed_after_the_swap(path: Path, data: dict) -> None:
        if path == ws.publication_path:
            raise Killed
        real_write(path, data)

    monkeypatch.setattr(publish_module, "_write_json", killed_after_the_swap)
    with pytest.raises(Killed):
        main(["run", "--departement", "16", "--inbox", str(_inbox_with_new_file(tmp_path, "statut")),
              "--workspace", str(small_ws)])
    monkeypatch.undo()

    with duckdb.connect(str(ws.served_db), read_only=True) as con:
        served_version = con.execute("select build_id from construction.parametres").fetchone()[0]
    assert served_version != old
    assert json.loads(ws.publication_path.read_text())["version"] == old  # the copy lags behind
    assert current_publication(ws)["version"] == served_version
    capsys.readouterr()
    assert main(["status", "--workspace", str(small_ws)]) == 0
    assert f"version {served_version}" in " ".join(capsys.readouterr().out.split())

    # The next writer repairs the copy when it lands or builds (warehouse.ingest.land / run.build_step).
    from warehouse import ingest

    with ws.writer_lock():
        ingest.land(ws, "reparation", {})
    assert json.loads(ws.publication_path.read_text()) == current_publication(ws)
    assert current_publication(ws)["version"] == served_version


def test_status_piped_to_a_file_is_complete(small_ws: Path) -> None:
    """`bin/pacte status > fichier`: no line cut at 80 columns, no file name or checksum shortened."""
    proc = subprocess.run([str(PACTE), "status", "--workspace", str(small_ws)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "COLUMNS": "80"})
    assert proc.returncode == 0, proc.stderr
    publication = json.loads((small_ws / "serving" / "publication.json").read_text(encoding="utf-8"))
    lines = proc.stdout.splitlines()
    assert any(f"version {publication['version']} — publiée le" in line and "tests dbt réussis" in line
               for line in lines)
    for f in publication["fichiers"]:
        assert f"{f['fichier']}\t{f['source_id']}\t" in proc.stdout and f["sha256"] in proc.stdout
    assert "…" not in proc.stdout


def test_a_refresh_with_nothing_new_neither_builds_nor_publishes(
        small_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A scheduled run on an inbox whose files are all landed and published keeps the served version; a
    new version of the dbt project (other code, same files) is rebuilt."""
    from warehouse import run

    need_real(FILOSOFI_2021, EPCI_2024)
    root = tmp_path / "ws"
    shutil.copytree(small_ws, root)
    inbox = tmp_path / "inbox"
    charente_filosofi(inbox / "cc_filosofi_2021_COM.csv")
    shutil.copy2(EPCI_2024, inbox / EPCI_2024.name)
    assert main(["run", "--departement", "16", "--inbox", str(inbox), "--workspace", str(root)]) == 0
    served = root / "serving" / "pacte.duckdb"
    published = json.loads((root / "serving" / "publication.json").read_text())["version"]
    identity, versions = served.stat().st_ino, sorted(p.name for p in (root / "serving" / "versions").iterdir())
    capsys.readouterr()

    assert main(["run", "--departement", "16", "--inbox", str(inbox), "--workspace", str(root)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Rien de nouveau" in out and f"version {published}" in out
    assert served.stat().st_ino == identity
    assert sorted(p.name for p in (root / "serving" / "versions").iterdir()) == versions
    assert not any((root / "build").iterdir())

    monkeypatch.setattr(run, "project_fingerprint", lambda: "autre version du projet dbt")
    assert main(["run", "--departement", "16", "--inbox", str(inbox), "--workspace", str(root)]) == 0
    assert "Rien de nouveau" not in capsys.readouterr().out
    assert json.loads((root / "serving" / "publication.json").read_text())["version"] != published
