"""Atomic publication of a built warehouse to `serving/pacte.duckdb`, with kept versions and status."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warehouse.workspace import Workspace

VERSIONS_KEPT = 5


def publish(ws: Workspace, build_path: Path, run_id: str, details: dict[str, Any]) -> dict[str, Any]:
    """Swap the built file in with one rename; readers with the old file open keep their snapshot."""
    versions = ws.root / "serving" / "versions"
    version_file = versions / run_id / "pacte.duckdb"  # same basename: the catalog name of the views
    version_file.parent.mkdir(parents=True)
    os.replace(build_path, version_file)
    shutil.rmtree(build_path.parent, ignore_errors=True)
    tmp = ws.served_db.with_name(f".pacte.duckdb.{run_id}.tmp")
    os.link(version_file, tmp)  # versions share the inode: publishing costs no copy
    os.replace(tmp, ws.served_db)
    publication = {"version": run_id, "publie_le": datetime.now(UTC).isoformat(timespec="seconds"),
                   "fichier": str(ws.served_db), **details}
    _write_json(ws.publication_path, publication)
    with (ws.root / "serving" / "historique.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(publication, ensure_ascii=False) + "\n")
    for old in sorted(p for p in versions.iterdir() if p.is_dir())[:-VERSIONS_KEPT]:
        shutil.rmtree(old)
    return publication


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def current_publication(ws: Workspace) -> dict[str, Any] | None:
    if not ws.publication_path.exists():
        return None
    return json.loads(ws.publication_path.read_text(encoding="utf-8"))
