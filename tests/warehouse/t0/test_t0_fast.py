"""T0 snapshots without the whole chain: a tiny published workspace made by hand (served file with the marts
a snapshot reads, publication metadata, archived inputs), then freeze / verify / export / import and every
bad input: French errors, nothing lost."""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from ingestion.landing import sha256_of
from warehouse.cli import main
from warehouse.publish import publish
from warehouse.t0 import freeze as t0
from warehouse.t0.archive import Archive
from warehouse.t0.manifest import SnapshotError, content_hash, index_rows, parquet_content_hash, snapshot_dir
from warehouse.t0.replay import differences, replay
from warehouse.workspace import REPO_ROOT, Workspace

INDICATEURS = [  # niveau, code_territoire, code_departement, indicateur_id, millesime, periode, valeur, statut
    ("epci", "200071827", "16", "taux_pauvrete", 2021, None, 14.25, "ok"),
    ("epci", "200071827", "16", "taux_pauvrete", 2019, None, 13.5, "ok"),
    ("epci", "241600303", "16", "taux_pauvrete", 2021, None, None, "secret"),
    ("departement", "16", "16", "taux_pauvrete", 2021, None, 15.0, "ok"),
    ("epci", "200069581", "40", "taux_pauvrete", 2021, None, 12.0, "ok"),
]


def _published_ws(root: Path) -> tuple[Path, dict[str, Path]]:
    """A workspace whose served file holds the marts a snapshot reads, built from two archived inputs."""
    ws = Workspace.at(root / "ws")
    inbox = root / "inbox"
    (inbox / "cog2024").mkdir(parents=True)
    inputs = {"cc_filosofi_2021_COM.csv": inbox / "cc_filosofi_2021_COM.csv",
              "epci.json": inbox / "cog2024" / "epci.json"}
    inputs["cc_filosofi_2021_COM.csv"].write_text("CODGEO;TP6021\n16015;14,2\n", encoding="utf-8")
    inputs["epci.json"].write_text('[{"code": "200071827"}]', encoding="utf-8")
    archive = Archive.of(ws.root)
    fichiers, landed = [], {}
    for name, path in inputs.items():
        sha = sha256_of(path)
        archive.put(path, sha, {"chemin": path.relative_to(inbox).as_posix(), "fichier": name})
        source = "insee_filosofi" if name.endswith(".csv") else "decoupage_administratif"
        millesime = 2021 if source == "insee_filosofi" else None
        fichiers.append({"fichier": name, "source_id": source, "millesime": millesime, "geo_millesime": 2024,
                         "sha256": sha, "synthetique": False})
        landed[sha] = {"fichier": name, "source_id": source, "format_id": f"{source}_x", "millesime": millesime,
                       "geo_millesime": 2024, "charge_le": "2026-01-01T00:00:00+00:00", "tables": {},
                       "url": None, "recupere_le": None}
    ws.landing._write_manifest(landed)
    build = ws.build_db("20260101T000000-abcdef")
    build.parent.mkdir(parents=True)
    with duckdb.connect(str(build)) as con:
        for schema in ("construction", "marts", "intermediate"):
            con.execute(f"CREATE SCHEMA {schema}")
        con.execute("CREATE TABLE construction.parametres AS SELECT 2024 AS geo_millesime, "
                    "'20260101T000000-abcdef' AS build_id")
        con.execute("CREATE TABLE construction.departements AS SELECT unnest(['16', '40']) AS code_departement")
        con.execute("CREATE TABLE marts.indicateurs_t0 (niveau VARCHAR, code_territoire VARCHAR, "
                    "code_departement VARCHAR, indicateur_id VARCHAR, millesime INTEGER, periode VARCHAR, "
                    "valeur DOUBLE, statut VARCHAR, build_id VARCHAR)")
        con.executemany("INSERT INTO marts.indicateurs_t0 VALUES (?, ?, ?, ?, ?, ?, ?, ?, '20260101T000000-abcdef')",
                        INDICATEURS)
        for mart in ("besoins_epci", "offre_epci", "ecarts_epci"):
            con.execute(f"CREATE TABLE marts.{mart} AS SELECT * FROM (VALUES ('16', '200071827', 1.0), "
                        "('40', '200069581', 2.0)) AS t(code_departement, code_epci, valeur)")
        con.execute("CREATE TABLE intermediate.int_geo__communes_epci AS SELECT 2024 AS geo_millesime, "
                    "'16015' AS code_commune, 'Angoulême' AS libelle, '16' AS code_departement, "
                    "'75' AS code_region, 41711 AS population, '200071827' AS code_epci, "
                    "'CA du Grand Angoulême' AS libelle_epci, 'CA' AS nature_epci")
    publish(ws, build, "20260101T000000-abcdef",
            {"departements": ["16", "40"], "geo_millesime": 2024, "fichiers": fichiers})
    return ws.root, inputs


@pytest.fixture
def published(tmp_path: Path) -> Path:
    return _published_ws(tmp_path)[0]


@pytest.fixture
def frozen(published: Path) -> Path:
    t0.freeze(published, "T0-2024", "16")
    return published


def _flip_one_byte(path: Path) -> None:
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _said(capsys: pytest.CaptureFixture[str]) -> str:
    """What the CLI printed (stdout and stderr), line wrapping undone."""
    captured = capsys.readouterr()
    return " ".join((captured.out + captured.err).split())


def _t0_entries(ws_root: Path) -> list[str]:
    return sorted(p.name for p in (ws_root / "t0").iterdir()) if (ws_root / "t0").exists() else []


def test_content_hash_is_defined_on_content_only() -> None:
    cols = ["niveau", "code_territoire", "code_departement", "indicateur_id", "millesime", "periode", "valeur",
            "statut", "build_id"]
    rows = [list(r) + ["build-1"] for r in INDICATEURS]
    reference = content_hash(cols, rows)
    assert content_hash(cols, list(reversed(rows))) == reference  # row order
    order = list(reversed(range(len(cols))))
    assert content_hash([cols[i] for i in order], [[r[i] for i in order] for r in rows]) == reference  # columns
    assert content_hash(cols, [r[:-1] + ["build-2"] for r in rows]) == reference  # build id is not content
    changed = [list(r) for r in rows]
    changed[0][6] = 14.26
    assert content_hash(cols, changed) != reference
    nulled = [list(r) for r in rows]
    nulled[0][6] = None  # a value that became NULL (never 0) changes the hash
    assert content_hash(cols, nulled) != reference


def test_freeze_writes_open_formats_with_their_manifest_and_never_blocks_readers(published: Path) -> None:
    ws = Workspace.at(published)
    reader = duckdb.connect(str(ws.served_db), read_only=True)  # a dashboard reading the served file
    try:
        manifest = t0.freeze(published, "T0-2024", "16")
        assert reader.execute("SELECT count(*) FROM marts.indicateurs_t0").fetchone()[0] == len(INDICATEURS)
    finally:
        reader.close()
    folder = snapshot_dir(published, "T0-2024")
    assert {p.name for p in folder.iterdir()} == {"manifest.json", "indicateurs_t0.parquet", "indicateurs_t0.csv",
                                                  "besoins_epci.parquet", "offre_epci.parquet",
                                                  "ecarts_epci.parquet", "geographie.parquet"}
    table = pq.read_table(folder / "indicateurs_t0.parquet")
    assert set(table.column("code_departement").to_pylist()) == {"16"} and table.num_rows == 4
    assert parquet_content_hash(folder / "indicateurs_t0.parquet") == (manifest["empreinte_indicateurs"], 4)
    csv_lines = (folder / "indicateurs_t0.csv").read_text(encoding="utf-8").splitlines()
    assert csv_lines[0].startswith("niveau;code_territoire;") and len(csv_lines) == 5
    assert pq.read_table(folder / "besoins_epci.parquet").column("code_departement").to_pylist() == ["16"]
    assert pq.read_table(folder / "geographie.parquet").column("code_epci").to_pylist() == ["200071827"]
    on_disk = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk == manifest
    assert manifest["build_id"] == "20260101T000000-abcdef" and manifest["geo_millesime"] == 2024
    assert manifest["code"]["commit"] and len(manifest["code"]["commit"]) == 40
    assert manifest["verrous"] == {p.name: sha256_of(p) for p in sorted((REPO_ROOT / "lock").glob("*.txt"))}
    assert manifest["verrous"]
    assert manifest["parametres_regles"]["situation_sensible"]["percentile_national"] == 90
    assert "couverture" in manifest["parametres_regles"]
    entrees = {e["fichier"]: e for e in manifest["fichiers_entree"]}
    assert entrees["epci.json"]["chemin"] == "cog2024/epci.json"
    assert entrees["cc_filosofi_2021_COM.csv"]["millesime"] == 2021
    assert entrees["cc_filosofi_2021_COM.csv"]["source_id"] == "insee_filosofi"
    assert all(e["geo_millesime"] == 2024 for e in entrees.values())
    for name, meta in manifest["fichiers_photographie"].items():
        assert sha256_of(folder / name) == meta["sha256"]
        assert not os.access(folder / name, os.W_OK) or os.geteuid() == 0  # read-only once frozen
    _, check = t0.verify(published, "T0-2024")
    assert check.ok and check.verifies == 7 + 2
    assert index_rows(published)[0][:2] == ["T0-2024", "16"]


def test_a_label_is_never_overwritten(frozen: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = (snapshot_dir(frozen, "T0-2024") / "manifest.json").read_bytes()
    with pytest.raises(SnapshotError, match="« T0-2024 » est déjà utilisé"):
        t0.freeze(frozen, "T0-2024", "40")
    assert main(["t0", "freeze", "--label", "T0-2024", "--departement", "16", "--workspace", str(frozen)]) == 1
    assert "jamais remplacée" in _said(capsys)
    assert (snapshot_dir(frozen, "T0-2024") / "manifest.json").read_bytes() == manifest
    assert _t0_entries(frozen) == ["T0-2024"]  # no temporary folder left behind
    assert t0.verify(frozen, "T0-2024")[1].ok


def test_freeze_refuses_a_departement_not_published_and_a_bad_label(published: Path) -> None:
    with pytest.raises(SnapshotError, match="département 24 n'est pas dans la version publiée"):
        t0.freeze(published, "T0-24", "24")
    with pytest.raises(SnapshotError, match="Libellé de photographie invalide"):
        t0.freeze(published, "../evasion", "16")
    with pytest.raises(SnapshotError, match="Libellé de photographie invalide"):
        t0.freeze(published, "archive", "16")
    assert _t0_entries(published) == []


def test_unknown_label_in_french(frozen: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["verify", "T0-2019"], ["export", "T0-2019", "--sortie", str(tmp_path / "x.tar.gz")]):
        assert main(["t0", *args, "--workspace", str(frozen)]) == 1
        out = _said(capsys)
        assert "Photographie inconnue : « T0-2019 »" in out and "T0-2024" in out, out
    assert not (tmp_path / "x.tar.gz").exists()
    with pytest.raises(SnapshotError, match="Photographie inconnue"):
        replay("T0-2019", tmp_path / "neuf")


def test_verify_names_the_altered_and_the_missing_archived_input(frozen: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    manifest = json.loads((snapshot_dir(frozen, "T0-2024") / "manifest.json").read_text(encoding="utf-8"))
    filo = next(e for e in manifest["fichiers_entree"] if e["fichier"] == "cc_filosofi_2021_COM.csv")
    epci = next(e for e in manifest["fichiers_entree"] if e["fichier"] == "epci.json")
    archive = Archive.of(frozen)
    _flip_one_byte(archive.path(filo["sha256"]))
    assert main(["t0", "verify", "T0-2024", "--workspace", str(frozen)]) == 1
    out = _said(capsys)
    assert "fichier d'entrée altéré dans l'archive : cc_filosofi_2021_COM.csv" in out, out
    assert "epci.json" not in out
    os.chmod(archive.path(epci["sha256"]), 0o644)
    archive.path(epci["sha256"]).unlink()
    problemes = t0.verify(frozen, "T0-2024")[1].problemes
    assert any(p.startswith("fichier d'entrée manquant dans l'archive : epci.json") for p in problemes)
    with pytest.raises(SnapshotError, match="export refusé"):
        t0.export(frozen, "T0-2024", frozen / "x.tar.gz")
    assert not (frozen / "x.tar.gz").exists()


def test_verify_names_an_altered_snapshot_file(frozen: Path) -> None:
    _flip_one_byte(snapshot_dir(frozen, "T0-2024") / "indicateurs_t0.csv")
    problemes = t0.verify(frozen, "T0-2024")[1].problemes
    assert len(problemes) == 1 and problemes[0].startswith("fichier altéré : indicateurs_t0.csv (photographie)")


def test_export_import_round_trip_checks_every_hash(frozen: Path, tmp_path: Path) -> None:
    export = tmp_path / "T0-2024.tar.gz"
    t0.export(frozen, "T0-2024", export)
    other = tmp_path / "autre"
    manifest = t0.import_(export, other)
    assert manifest["empreinte_indicateurs"] == t0.verify(frozen, "T0-2024")[0]["empreinte_indicateurs"]
    _, check = t0.verify(other, "T0-2024")
    assert check.ok and check.verifies == 9
    archive = Archive.of(other)
    assert archive.info(manifest["fichiers_entree"][0]["sha256"])["chemin"]
    with pytest.raises(SnapshotError, match="déjà dans"):
        t0.import_(export, other)
    assert t0.verify(other, "T0-2024")[1].ok


def _repack(source: Path, target: Path, alter: str) -> None:
    """The same export with one byte changed in the member whose name ends with `alter`."""
    with tarfile.open(source, "r:gz") as tar, tarfile.open(target, "w:gz") as out:
        for member in tar.getmembers():
            data = tar.extractfile(member).read()
            if member.name.endswith(alter):
                data = bytearray(data)
                data[len(data) // 2] ^= 0x01
                data = bytes(data)
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))


def test_import_names_the_corrupted_archived_input_and_imports_nothing(frozen: Path, tmp_path: Path) -> None:
    export = tmp_path / "T0-2024.tar.gz"
    t0.export(frozen, "T0-2024", export)
    manifest = t0.verify(frozen, "T0-2024")[0]
    filo = next(e for e in manifest["fichiers_entree"] if e["fichier"] == "cc_filosofi_2021_COM.csv")
    corrupted = tmp_path / "corrompu.tar.gz"
    _repack(export, corrupted, filo["sha256"])
    other = tmp_path / "autre"
    with pytest.raises(SnapshotError) as exc:
        t0.import_(corrupted, other)
    message = str(exc.value)
    assert "Import refusé" in message and "Rien n'a été importé" in message
    assert f"fichier altéré : archive/{filo['sha256']}" in message
    assert "(cc_filosofi_2021_COM.csv, insee_filosofi)" in message
    assert _t0_entries(other) == [] and not list(Archive.of(other).root.glob("*"))
    # one byte changed in the compressed file itself: still a French error, still nothing imported
    raw = tmp_path / "octet.tar.gz"
    raw.write_bytes(export.read_bytes())
    _flip_one_byte(raw)
    with pytest.raises(SnapshotError, match="n'est pas une photographie T0|Import refusé"):
        t0.import_(raw, other)
    assert _t0_entries(other) == []


def test_import_of_a_file_that_is_not_a_snapshot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "ws"
    csv = tmp_path / "cc_filosofi_2021_COM.csv"
    csv.write_text("CODGEO;TP6021\n", encoding="utf-8")
    assert main(["t0", "import", str(csv), "--workspace", str(target)]) == 1
    assert "n'est pas une photographie T0" in _said(capsys)
    other_tar = tmp_path / "autre.tar.gz"
    with tarfile.open(other_tar, "w:gz") as tar:
        tar.add(csv, arcname="donnees/cc_filosofi_2021_COM.csv")
    with pytest.raises(SnapshotError, match="n'est pas une photographie T0.*EXPORT.json absent"):
        t0.import_(other_tar, target)
    evil = tmp_path / "evasion.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        index = json.dumps({"format": t0.EXPORT_FORMAT, "label": "T0", "membres": {"pacte-t0/../../x": "0"}}).encode()
        info = tarfile.TarInfo("pacte-t0/EXPORT.json")
        info.size = len(index)
        tar.addfile(info, io.BytesIO(index))
    with pytest.raises(SnapshotError, match="n'est pas une photographie T0"):
        t0.import_(evil, target)
    with pytest.raises(SnapshotError, match="Fichier introuvable"):
        t0.import_(tmp_path / "absent.tar.gz", target)
    assert _t0_entries(target) == [] and not (tmp_path / "x").exists()


def test_freeze_without_archived_originals_names_them_and_takes_them_from_an_inbox(tmp_path: Path) -> None:
    root, inputs = _published_ws(tmp_path)
    archive = Archive.of(root)
    for path in inputs.values():
        archived = archive.path(sha256_of(path))
        os.chmod(archived, 0o644)
        archived.unlink()
        archive.info_path(sha256_of(path)).unlink()
    with pytest.raises(SnapshotError, match=r"absent\(s\) de l'archive(.|\n)*cc_filosofi_2021_COM.csv"):
        t0.freeze(root, "T0-2024", "16")
    assert _t0_entries(root) == []
    # The inbox given (files found by checksum, wherever they are below it): archived with their paths.
    (tmp_path / "inbox" / "autre.txt").write_text("sans rapport", encoding="utf-8")
    manifest = t0.freeze(root, "T0-2024", "16", inbox=tmp_path / "inbox")
    assert {e["chemin"] for e in manifest["fichiers_entree"]} == {"cc_filosofi_2021_COM.csv", "cog2024/epci.json"}
    assert sorted(p.name for p in archive.root.iterdir() if not p.name.endswith(".json")) == \
        sorted(sha256_of(p) for p in inputs.values())
    assert t0.verify(root, "T0-2024")[1].ok


def test_replay_needs_a_fresh_workspace(frozen: Path) -> None:
    with pytest.raises(SnapshotError, match="n'est pas neuf"):
        replay("T0-2024", frozen)


def test_differences_are_listed_row_by_row_in_french() -> None:
    cols = ["niveau", "code_territoire", "code_departement", "indicateur_id", "millesime", "periode", "valeur",
            "statut", "build_id"]
    frozen = [list(r) + ["b1"] for r in INDICATEURS]
    rebuilt = [list(r) + ["b2"] for r in INDICATEURS[1:]]
    rebuilt[0][6] = 13.6
    rebuilt.append(["epci", "200000000", "16", "taux_pauvrete", 2021, None, 1.0, "ok", "b2"])
    lines = differences((cols, frozen), (cols, rebuilt))
    assert "ligne absente du rejeu : epci 200071827, taux_pauvrete, millésime 2021" in lines
    assert "ligne nouvelle dans le rejeu : epci 200000000, taux_pauvrete, millésime 2021" in lines
    assert ("ligne modifiée : epci 200071827, taux_pauvrete, millésime 2019 — valeur : 13.5 (T0) → 13.6 (rejeu)"
            in lines)
    assert len(lines) == 3


def test_a_file_landed_before_originals_were_archived_is_archived_when_seen_again(tmp_path: Path) -> None:
    """Workspaces filled before ingestion archived originals: the next run over the same inbox archives the
    files it skips as already landed (no validation needed, nothing relanded)."""
    from tests.conftest import EPCI_2024, need_real
    from warehouse import ingest, plan

    need_real(EPCI_2024)
    inbox = tmp_path / "inbox" / "insee"
    inbox.mkdir(parents=True)
    copy = inbox / EPCI_2024.name
    copy.write_bytes(EPCI_2024.read_bytes())
    sha = sha256_of(copy)
    ws = Workspace.at(tmp_path / "ws")
    ws.landing._write_manifest({sha: {"fichier": copy.name, "source_id": "cog_insee", "tables": {}}})
    run_plan = plan.recognise("16", tmp_path / "inbox")
    assert ingest.validate_and_stage(ws, run_plan) == {}
    assert run_plan.already_landed == [copy.name]
    archive = Archive.of(ws.root)
    assert sha256_of(archive.path(sha)) == sha and archive.info(sha)["chemin"] == f"insee/{copy.name}"


def test_replay_puts_the_archived_inputs_back_and_lists_the_rows_that_differ(
        frozen: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The replay path without the pipeline: the normal run is replaced by one that checks the inbox it is
    given (archived files under their original paths) and publishes a build where one value changed."""
    from warehouse.t0 import replay as replay_module

    manifest = t0.verify(frozen, "T0-2024")[0]
    calls = []

    def fake_run(ws: Workspace, departement: str, inbox: Path, geo_millesime: int | None = None,
                 on_plan: object = None, **_: object) -> dict:
        calls.append((departement, geo_millesime))
        found = {p.relative_to(inbox).as_posix(): sha256_of(p) for p in inbox.rglob("*") if p.is_file()}
        assert found == {e["chemin"]: e["sha256"] for e in manifest["fichiers_entree"]}
        build = ws.build_db("20260601T000000-rejeu")
        build.parent.mkdir(parents=True)
        with duckdb.connect(str(build)) as con:
            con.execute("CREATE SCHEMA marts")
            con.execute(f"CREATE TABLE marts.indicateurs_t0 AS SELECT * EXCLUDE (build_id), "
                        f"'20260601T000000-rejeu' AS build_id FROM read_parquet('{frozen}/t0/T0-2024/"
                        "indicateurs_t0.parquet')")
            con.execute("UPDATE marts.indicateurs_t0 SET valeur = 13.75 WHERE millesime = 2019")
        return publish(ws, build, "20260601T000000-rejeu", {"departements": [departement]})

    monkeypatch.setattr(replay_module.run, "run", fake_run)
    fresh = tmp_path / "neuf"
    assert main(["t0", "replay", "T0-2024", "--workspace", str(fresh), "--depuis", str(frozen)]) == 1
    said = _said(capsys)
    assert calls == [("16", 2024)]
    assert "Rejeu différent de la photographie « T0-2024 »" in said
    assert ("ligne modifiée : epci 200071827, taux_pauvrete, millésime 2019 — valeur : 13.5 (T0) → 13.75 (rejeu)"
            in said), said
    assert "Causes possibles" in said
    assert t0.verify(fresh, "T0-2024")[1].ok  # the snapshot was copied into the fresh workspace, unchanged
    assert t0.verify(frozen, "T0-2024")[1].ok


def test_replay_of_the_same_rows_is_identical(frozen: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from warehouse.t0 import replay as replay_module

    def fake_run(ws: Workspace, departement: str, inbox: Path, geo_millesime: int | None = None,
                 on_plan: object = None, **_: object) -> dict:
        build = ws.build_db("20260601T000000-rejeu")
        build.parent.mkdir(parents=True)
        with duckdb.connect(str(build)) as con:
            con.execute("CREATE SCHEMA marts")  # same rows, another build id and another row order
            con.execute(f"CREATE TABLE marts.indicateurs_t0 AS SELECT * REPLACE ('autre' AS build_id) FROM "
                        f"read_parquet('{frozen}/t0/T0-2024/indicateurs_t0.parquet') ORDER BY valeur DESC")
        return publish(ws, build, "20260601T000000-rejeu", {"departements": [departement]})

    monkeypatch.setattr(replay_module.run, "run", fake_run)
    result = replay("T0-2024", tmp_path / "neuf", frozen)
    assert result.identique and result.differences == [] and result.lignes_rejeu == 4
