"""`bin/pacte t0 freeze | list | verify | export | import`: freeze the published build of a département as
its T0, check it, and carry it to another workspace (see `warehouse.t0.manifest` for the layout).

Freezing only reads the served file (opened read-only: readers are never blocked) and writes into
`<workspace>/t0/` and `<workspace>/archive/`; a label is never overwritten (the snapshot folder is renamed
into place in one step, and a rename onto an existing folder fails)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import uuid
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import yaml

from ingestion.landing import sha256_of
from warehouse.publish import current_publication
from warehouse.t0.archive import READ_ONLY, Archive
from warehouse.t0.manifest import (
    FORMAT,
    MANIFEST,
    ROW_KEY,
    Check,
    SnapshotError,
    check_label,
    content_hash,
    load,
    read_manifest,
    snapshot_dir,
    t0_root,
    verify_snapshot,
)
from warehouse.workspace import REPO_ROOT, Workspace

# Marts of the snapshot, restricted to the département (a column `code_departement` in each).
MARTS = ("indicateurs_t0", "besoins_epci", "offre_epci", "ecarts_epci")
# Commune-level numerators and denominators, frozen when the build has them: `bin/pacte compare` re-aggregates
# them on a later geography (snapshots without it compare the levels only where a perimeter changed).
COMMUNE_MART = "indicateurs_commune"
EXPORT_ROOT = "pacte-t0"
EXPORT_INDEX = "EXPORT.json"
EXPORT_FORMAT = "pacte-t0-export/1"


def _git_commit() -> dict[str, Any]:
    def git(*args: str) -> str:
        proc = subprocess.run(["git", "-C", str(REPO_ROOT), *args], capture_output=True, text=True, timeout=30)
        return proc.stdout.strip() if proc.returncode == 0 else ""

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit or None, "modifications_locales": bool(status)}


def _lock_hashes() -> dict[str, str]:
    return {p.name: sha256_of(p) for p in sorted((REPO_ROOT / "lock").glob("*.txt"))}


def _rule_parameters() -> dict[str, Any]:
    """The rules' parameters (sensitive situations, coverage levels): the `vars` of dbt_project.yml."""
    project = yaml.safe_load((REPO_ROOT / "dbt_project" / "dbt_project.yml").read_text(encoding="utf-8"))
    return project.get("vars", {})


def _inputs(ws: Workspace, publication: dict[str, Any], archive: Archive, inbox: Path | None) -> list[dict[str, Any]]:
    """The input files of the published build, each archived (found by checksum in the inbox given when the
    workspace was filled before ingestion archived originals); a French error lists those still missing."""
    landed = ws.landing.manifest()
    missing = [f for f in publication["fichiers"] if not archive.has(f["sha256"])]
    if missing and inbox is not None:
        found = {}
        wanted = {f["sha256"] for f in missing}
        for path in sorted(p for p in inbox.rglob("*") if p.is_file() and not p.name.startswith(".")):
            sha = sha256_of(path)
            if sha in wanted:
                found.setdefault(sha, path)
        for f in missing:
            if f["sha256"] in found:
                path = found[f["sha256"]]
                archive.put(path, f["sha256"], {"chemin": path.relative_to(inbox).as_posix(), "fichier": path.name})
        missing = [f for f in missing if not archive.has(f["sha256"])]
    if missing:
        lines = "\n".join(f"  • {f['fichier']} ({f['source_id']}, SHA-256 {f['sha256'][:12]}…)" for f in missing)
        raise SnapshotError("Fichier(s) d'origine de la version publiée absent(s) de l'archive de l'espace "
                            f"({archive.root}) :\n{lines}\nRelancez avec --inbox DOSSIER contenant ces fichiers "
                            "(ils sont reconnus par leur empreinte). Aucune photographie n'a été écrite.")
    out = []
    for f in publication["fichiers"]:
        entry = landed.get(f["sha256"], {})
        info = archive.info(f["sha256"])
        out.append({"sha256": f["sha256"], "fichier": f["fichier"], "chemin": info.get("chemin") or f["fichier"],
                    "source_id": f["source_id"], "format_id": entry.get("format_id"),
                    "millesime": f["millesime"], "geo_millesime": f["geo_millesime"],
                    "synthetique": bool(f.get("synthetique")), "url": entry.get("url"),
                    "recupere_le": entry.get("recupere_le"), "taille": archive.path(f["sha256"]).stat().st_size})
    return sorted(out, key=lambda e: (e["source_id"], e["chemin"], e["sha256"]))


def _publication_of(ws: Workspace, build_id: str) -> dict[str, Any] | None:
    path = ws.root / "serving" / "versions" / build_id / "publication.json"
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    current = current_publication(ws)
    return current if current and current.get("version") == build_id else None


def freeze(workspace_root: Path, label: str, departement: str, inbox: Path | None = None) -> dict[str, Any]:
    ws = Workspace.at(workspace_root)
    check_label(label)
    final = snapshot_dir(ws.root, label)
    if final.exists():
        raise SnapshotError(f"Le libellé « {label} » est déjà utilisé par une photographie de cet espace : une "
                            "photographie n'est jamais remplacée. Choisissez un autre libellé.")
    if not ws.served_db.exists():
        raise SnapshotError(f"Aucune version publiée dans {ws.root} : lancez d'abord bin/pacte run.")
    root = t0_root(ws.root)
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".en-cours-{label}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        manifest = _write_snapshot(ws, tmp, label, departement, inbox)
        try:
            os.rename(tmp, final)  # fails if the label appeared meanwhile: never overwritten
        except OSError:
            raise SnapshotError(f"Le libellé « {label} » est déjà utilisé par une photographie de cet espace : "
                                "une photographie n'est jamais remplacée.") from None
    finally:
        if tmp.exists():
            _remove(tmp)
    return manifest


def _write_snapshot(ws: Workspace, folder: Path, label: str, departement: str,
                    inbox: Path | None) -> dict[str, Any]:
    archive = Archive.of(ws.root)
    # The served file is a hard link swapped by rename: the open handle keeps this version whatever happens.
    with duckdb.connect(str(ws.served_db), read_only=True) as con:
        build_id, geo = con.execute("SELECT build_id, geo_millesime FROM construction.parametres").fetchone()
        publication = _publication_of(ws, build_id)
        if publication is None:
            raise SnapshotError(f"Métadonnées de la version publiée {build_id} introuvables "
                                "(serving/versions/…/publication.json).")
        deps = [r[0] for r in con.execute("SELECT code_departement FROM construction.departements").fetchall()]
        if departement not in deps:
            raise SnapshotError(f"Le département {departement} n'est pas dans la version publiée {build_id} "
                                f"(départements : {', '.join(deps) or 'aucun'}).")
        entrees = _inputs(ws, publication, archive, inbox)
        tables: dict[str, int] = {}
        has_communes = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'marts' "
                                   "AND table_name = ?", [COMMUNE_MART]).fetchone()[0] > 0
        for mart in MARTS + ((COMMUNE_MART,) if has_communes else ()):
            order = ", ".join(ROW_KEY) if mart == "indicateurs_t0" else "ALL"
            query = f"SELECT * FROM marts.{mart} WHERE code_departement = $dep ORDER BY {order}"
            target = _sql_path(folder / f"{mart}.parquet")
            con.execute(f"COPY ({query}) TO '{target}' (FORMAT parquet)", {"dep": departement})
            tables[f"{mart}.parquet"] = con.execute(f"SELECT count(*) FROM ({query})", {"dep": departement}).fetchone()[0]
        geo_query = ("SELECT geo_millesime, code_commune, libelle, code_departement, code_region, population, "
                     "code_epci, libelle_epci, nature_epci FROM intermediate.int_geo__communes_epci "
                     "ORDER BY code_commune")
        con.execute(f"COPY ({geo_query}) TO '{_sql_path(folder / 'geographie.parquet')}' (FORMAT parquet)")
        tables["geographie.parquet"] = con.execute(f"SELECT count(*) FROM ({geo_query})").fetchone()[0]
        cur = con.execute(f"SELECT * FROM marts.indicateurs_t0 WHERE code_departement = $dep ORDER BY "
                          f"{', '.join(ROW_KEY)}", {"dep": departement})
        columns = [d[0] for d in cur.description]
        rows = cur.fetchall()
        con.execute(f"COPY (SELECT * FROM marts.indicateurs_t0 WHERE code_departement = $dep ORDER BY "
                    f"{', '.join(ROW_KEY)}) TO '{_sql_path(folder / 'indicateurs_t0.csv')}' (FORMAT csv, HEADER, DELIMITER ';')",
                    {"dep": departement})
    if not rows:
        raise SnapshotError(f"La version publiée {build_id} n'a aucune ligne d'indicateur pour le département "
                            f"{departement}.")
    tables["indicateurs_t0.csv"] = len(rows)
    fichiers = {}
    for name in sorted(tables):
        fichiers[name] = {"sha256": sha256_of(folder / name), "lignes": tables[name]}
    manifest = {
        "format": FORMAT, "label": label, "departement": departement,
        "cree_le": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_id": build_id, "publie_le": publication.get("publie_le"), "geo_millesime": geo,
        "departements_construction": deps,
        "code": _git_commit(), "verrous": _lock_hashes(), "parametres_regles": _rule_parameters(),
        "empreinte_indicateurs": content_hash(columns, rows), "lignes_indicateurs": len(rows),
        "colonnes_indicateurs": columns,
        "definition_empreinte": "SHA-256 de : noms des colonnes triés (sans build_id) séparés par des "
                                "tabulations, puis une ligne par ligne de la table (valeurs dans l'ordre des "
                                "colonnes, NULL = \\N, réels au format repr de Python, vrai/faux = true/false), "
                                "lignes triées ; chaque ligne terminée par un saut de ligne.",
        "donnees_synthetiques": any(e["synthetique"] for e in entrees),
        "fichiers_entree": entrees, "fichiers_photographie": fichiers,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    for path in folder.iterdir():
        os.chmod(path, READ_ONLY)
    return manifest


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _remove(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            os.chmod(path, 0o644)
    shutil.rmtree(folder, ignore_errors=True)


def verify(workspace_root: Path, label: str) -> tuple[dict[str, Any], Check]:
    ws_root = Path(workspace_root).resolve()
    folder, manifest = load(ws_root, label)
    return manifest, verify_snapshot(folder, manifest, Archive.of(ws_root))


# --- export / import -------------------------------------------------------------------------------------
def export(workspace_root: Path, label: str, target: Path) -> dict[str, Any]:
    """One tar.gz: `pacte-t0/EXPORT.json`, `pacte-t0/<label>/…` and `pacte-t0/archive/<sha256>[.json]`.
    An altered snapshot is never exported."""
    ws_root = Path(workspace_root).resolve()
    manifest, check = verify(ws_root, label)
    if not check.ok:
        raise SnapshotError(f"Photographie « {label} » altérée, export refusé :\n"
                            + "\n".join(f"  • {p}" for p in check.problemes))
    folder = snapshot_dir(ws_root, label)
    archive = Archive.of(ws_root)
    members: dict[str, str] = {}
    files: list[tuple[Path, str]] = []
    for path in sorted(folder.iterdir()):
        files.append((path, f"{EXPORT_ROOT}/{label}/{path.name}"))
    for entree in manifest["fichiers_entree"]:
        files.append((archive.path(entree["sha256"]), f"{EXPORT_ROOT}/archive/{entree['sha256']}"))
    for path, name in files:
        members[name] = sha256_of(path)
    index = {"format": EXPORT_FORMAT, "label": label, "exporte_le": datetime.now(UTC).isoformat(timespec="seconds"),
             "membres": members}
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with tarfile.open(tmp, "w:gz") as tar:
            data = json.dumps(index, ensure_ascii=False, indent=1).encode("utf-8")
            info = tarfile.TarInfo(f"{EXPORT_ROOT}/{EXPORT_INDEX}")
            info.size = len(data)
            info.mtime = int(datetime.now(UTC).timestamp())
            import io

            tar.addfile(info, io.BytesIO(data))
            for path, name in files:
                tar.add(path, arcname=name, recursive=False)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return {"label": label, "fichier": str(target), "membres": len(members), "taille": target.stat().st_size}


def _not_a_snapshot(path: Path, why: str) -> SnapshotError:
    return SnapshotError(f"{path} n'est pas une photographie T0 exportée par bin/pacte t0 export ({why}). "
                         "Rien n'a été importé.")


def _described_inputs(folder: Path) -> dict[str, str]:
    """` (name, source)` of each archived input by checksum, from a manifest that may itself be damaged."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        return {e["sha256"]: f" ({e['fichier']}, {e['source_id']})" for e in manifest["fichiers_entree"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _whole_stream_intact(path: Path) -> bool:
    """A gzip file read to its very end, so that its CRC is checked: tarfile stops at the end-of-archive
    blocks and never sees a byte changed in the compressed padding after them."""
    import gzip

    with path.open("rb") as f:
        if f.read(2) != b"\x1f\x8b":
            return True
    try:
        with gzip.open(path, "rb") as stream:
            while stream.read(1 << 20):
                pass
    except (OSError, EOFError, zlib.error):
        return False
    return True


def import_(source: Path, workspace_root: Path) -> dict[str, Any]:
    """Bring an exported snapshot into a workspace, every hash checked before anything is moved in: the
    workspace is left untouched when the file is not a snapshot or anything in it is altered."""
    source = Path(source)
    if not source.is_file():
        raise SnapshotError(f"Fichier introuvable : {source}")
    try:
        is_tar = tarfile.is_tarfile(source)
    except (OSError, EOFError, zlib.error, tarfile.TarError):
        is_tar = False
    if not is_tar:
        raise _not_a_snapshot(source, "ce n'est pas une archive tar lisible")
    if not _whole_stream_intact(source):
        raise _not_a_snapshot(source, "archive compressée altérée : contrôle CRC en échec")
    ws = Workspace.at(workspace_root)
    staging = t0_root(ws.root) / f".import-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    try:
        try:
            with tarfile.open(source, "r:*") as tar:
                names = tar.getnames()
                if f"{EXPORT_ROOT}/{EXPORT_INDEX}" not in names:
                    raise _not_a_snapshot(source, f"{EXPORT_ROOT}/{EXPORT_INDEX} absent")
                index = json.loads(tar.extractfile(f"{EXPORT_ROOT}/{EXPORT_INDEX}").read().decode("utf-8"))
                if not isinstance(index, dict) or index.get("format") != EXPORT_FORMAT:
                    raise _not_a_snapshot(source, f"format {index.get('format') if isinstance(index, dict) else '?'}")
                label = check_label(str(index["label"]))
                members = index["membres"]
                allowed = set(members) | {f"{EXPORT_ROOT}/{EXPORT_INDEX}"}
                strangers = [n for n in names if n not in allowed]
                if strangers:
                    raise _not_a_snapshot(source, f"membres inattendus : {', '.join(strangers[:5])}")
                for name in members:
                    parts = name.split("/")
                    if len(parts) != 3 or parts[0] != EXPORT_ROOT or parts[1] not in (label, "archive") \
                            or parts[2] in ("", ".", ".."):
                        raise _not_a_snapshot(source, f"chemin refusé : {name}")
                tar.extractall(staging, filter="data")
        except (tarfile.TarError, EOFError, OSError, zlib.error, UnicodeDecodeError, json.JSONDecodeError, KeyError,
                TypeError, AttributeError) as exc:
            raise _not_a_snapshot(source, f"{type(exc).__name__} : {exc}") from None
        base = staging / EXPORT_ROOT
        problems = []
        described = _described_inputs(base / label)
        for name, sha in sorted(members.items()):
            path = staging / name
            shown = name.split("/", 1)[1] + described.get(name.rsplit("/", 1)[1], "")
            if not path.is_file():
                problems.append(f"fichier manquant : {shown}")
            elif (actual := sha256_of(path)) != sha:
                problems.append(f"fichier altéré : {shown} — SHA-256 {actual[:12]}… au lieu de {sha[:12]}…")
        if not problems:  # every member is as exported: now the snapshot's own hashes
            manifest = read_manifest(base / label)
            problems += verify_snapshot(base / label, manifest, Archive(base / "archive")).problemes
        if problems:
            raise SnapshotError(f"Import refusé : la photographie « {label} » de {source.name} est altérée ou "
                                "incomplète :\n" + "\n".join(f"  • {p}" for p in problems)
                                + "\nRien n'a été importé.")
        final = snapshot_dir(ws.root, label)
        if final.exists():
            existing = read_manifest(final)
            if existing.get("empreinte_indicateurs") == manifest["empreinte_indicateurs"] \
                    and existing.get("cree_le") == manifest["cree_le"]:
                raise SnapshotError(f"La photographie « {label} » est déjà dans {ws.root} (même contenu) : "
                                    "rien à importer.")
            raise SnapshotError(f"Le libellé « {label} » est déjà utilisé dans {ws.root} par une autre photographie "
                                "(une photographie n'est jamais remplacée) : rien n'a été importé.")
        archive = Archive.of(ws.root)
        for entree in manifest["fichiers_entree"]:
            info = {"chemin": entree.get("chemin") or entree["fichier"], "fichier": entree["fichier"]}
            archive.put(base / "archive" / entree["sha256"], entree["sha256"], info, move=True)
        os.rename(base / label, final)
    finally:
        _remove(staging)
    return manifest
