"""The T0 across machines and years, end to end through `bin/pacte`: build a small real workspace (INSEE EPCI
2024, Charente rows of Filosofi 2021), freeze it, delete the inbox, export, import into a new workspace, verify,
replay from the archived inputs alone, and get the same content hash."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import EPCI_2024, FILOSOFI_2021, charente_filosofi, need_real, run_cli, sha256
from warehouse.t0.archive import Archive
from warehouse.t0.manifest import content_hash


@pytest.fixture
def t0_ws(tmp_path: Path) -> tuple[Path, Path]:
    """A published workspace of its own (the test deletes its inbox): (workspace, inbox)."""
    need_real(FILOSOFI_2021, EPCI_2024)
    inbox = tmp_path / "inbox"
    (inbox / "insee").mkdir(parents=True)
    shutil.copy2(EPCI_2024, inbox / "insee" / EPCI_2024.name)
    charente_filosofi(inbox / "cc_filosofi_2021_COM.csv")
    proc = run_cli("run", "--departement", "16", "--inbox", str(inbox), "--workspace", str(tmp_path / "ws"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return tmp_path / "ws", inbox


def _said(proc: object) -> str:
    return " ".join((proc.stdout + proc.stderr).split())  # type: ignore[attr-defined]


def _served_hash(ws: Path) -> str:
    with duckdb.connect(str(ws / "serving" / "pacte.duckdb"), read_only=True) as con:
        cur = con.execute("SELECT * FROM marts.indicateurs_t0 WHERE code_departement = '16'")
        return content_hash([d[0] for d in cur.description], cur.fetchall())


def test_freeze_export_import_verify_replay_gives_the_same_hash(t0_ws: tuple[Path, Path], tmp_path: Path) -> None:
    ws, inbox = t0_ws
    originals = {sha256(p): p.relative_to(inbox).as_posix() for p in inbox.rglob("*") if p.is_file()}
    archive = Archive.of(ws)  # landing archived every original by checksum, with its path in the inbox
    assert {sha: archive.info(sha)["chemin"] for sha in originals} == originals
    assert all(sha256(archive.path(sha)) == sha for sha in originals)

    proc = run_cli("t0", "freeze", "--label", "T0-2021", "--departement", "16", "--workspace", str(ws))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    manifest = json.loads((ws / "t0" / "T0-2021" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["empreinte_indicateurs"] == _served_hash(ws)
    assert manifest["empreinte_indicateurs"] in _said(proc)
    assert {e["sha256"] for e in manifest["fichiers_entree"]} == set(originals)
    entrees = {e["source_id"]: e for e in manifest["fichiers_entree"]}
    assert entrees["insee_filosofi"]["millesime"] == 2021 and entrees["cog_insee"]["geo_millesime"] == 2024
    assert entrees["cog_insee"]["chemin"] == f"insee/{EPCI_2024.name}"
    assert manifest["lignes_indicateurs"] > 100 and manifest["geo_millesime"] == 2024

    shutil.rmtree(inbox)  # from here on, the T0 depends on nothing but the workspace
    proc = run_cli("t0", "list", "--workspace", str(ws))
    assert proc.returncode == 0 and "T0-2021" in proc.stdout, proc.stdout + proc.stderr
    export = tmp_path / "transport" / "T0-2021.tar.gz"
    proc = run_cli("t0", "export", "T0-2021", "--sortie", str(export), "--workspace", str(ws))
    assert proc.returncode == 0 and export.is_file(), proc.stdout + proc.stderr

    other = tmp_path / "machine-2026"
    proc = run_cli("t0", "import", str(export), "--workspace", str(other))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = run_cli("t0", "verify", "T0-2021", "--workspace", str(other))
    assert proc.returncode == 0 and "intacte" in proc.stdout, proc.stdout + proc.stderr

    proc = run_cli("t0", "replay", "T0-2021", "--workspace", str(other))
    said = _said(proc)
    assert proc.returncode == 0, said
    assert "Rejeu identique" in said
    assert re.search(r"empreinte ([0-9a-f]{64})", said).group(1) == manifest["empreinte_indicateurs"]
    assert _served_hash(other) == manifest["empreinte_indicateurs"]
    with duckdb.connect(str(other / "serving" / "pacte.duckdb"), read_only=True) as con:  # the rebuilt warehouse
        listed = con.execute("SELECT label, code_departement, empreinte_indicateurs, build_id "
                             "FROM marts.photographies_t0").fetchall()
        rebuilt_build = con.execute("SELECT build_id FROM construction.parametres").fetchone()[0]
    assert listed == [("T0-2021", "16", manifest["empreinte_indicateurs"], manifest["build_id"])]
    assert rebuilt_build != manifest["build_id"]  # another build, the same content
