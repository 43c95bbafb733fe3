"""Atomic publication of a built warehouse to `serving/pacte.duckdb`, with kept versions and status.

The served file is a hard link to `serving/versions/<version>/pacte.duckdb`, and each version folder holds its
own `publication.json`, written *before* the served file is swapped in. The published version is therefore
the one whose file is the served file (same inode): `current_publication` reads it from there, so the status
and the served file can never disagree, whatever the moment a publication is killed at.
`serving/publication.json` is a copy for readers of the folder, rewritten after the swap and repaired by the
next writer (`repair_mirror`) if a publication was killed in between.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warehouse.workspace import Workspace

VERSIONS_KEPT = 5
METADATA = "publication.json"


def publish(ws: Workspace, build_path: Path, run_id: str, details: dict[str, Any]) -> dict[str, Any]:
    """Swap the built file in with one rename; readers with the old file open keep their snapshot."""
    versions = ws.root / "serving" / "versions"
    version_file = versions / run_id / "pacte.duckdb"  # same basename: the catalog name of the views
    version_file.parent.mkdir(parents=True)
    publication = {"version": run_id, "publie_le": datetime.now(UTC).isoformat(timespec="seconds"),
                   "fichier": str(ws.served_db), **details}
    _write_json(version_file.parent / METADATA, publication)  # first: the version carries its own status
    os.replace(build_path, version_file)
    shutil.rmtree(build_path.parent, ignore_errors=True)
    tmp = ws.served_db.with_name(f".pacte.duckdb.{run_id}.tmp")
    os.link(version_file, tmp)  # versions share the inode: publishing costs no copy
    os.replace(tmp, ws.served_db)  # the publication: from here on, the status is this version's
    _write_json(ws.publication_path, publication)
    with (ws.root / "serving" / "historique.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(publication, ensure_ascii=False) + "\n")
    for old in sorted(p for p in versions.iterdir() if p.is_dir())[:-VERSIONS_KEPT]:
        if not _is_served(ws, old / "pacte.duckdb"):
            shutil.rmtree(old)
    return publication


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def _is_served(ws: Workspace, path: Path) -> bool:
    try:
        return os.path.samefile(path, ws.served_db)
    except OSError:
        return False


def current_publication(ws: Workspace) -> dict[str, Any] | None:
    """The status of the served file: the metadata of the version folder whose file *is* the served file.
    A workspace published before version folders carried their metadata falls back on the copy."""
    if not ws.served_db.exists():
        return None
    versions = ws.root / "serving" / "versions"
    for folder in sorted((p for p in versions.iterdir() if p.is_dir()), reverse=True):
        if (folder / METADATA).exists() and _is_served(ws, folder / "pacte.duckdb"):
            return json.loads((folder / METADATA).read_text(encoding="utf-8"))
    if not ws.publication_path.exists():
        return None
    return json.loads(ws.publication_path.read_text(encoding="utf-8"))


def repair_mirror(ws: Workspace) -> None:
    """Rewrite `serving/publication.json` from the served version if a killed publication left it behind
    (call with the writer lock held)."""
    current = current_publication(ws)
    if current is None:
        return
    mirror = json.loads(ws.publication_path.read_text(encoding="utf-8")) if ws.publication_path.exists() else None
    if mirror != current:
        _write_json(ws.publication_path, current)
