"""Content-addressed archive of the original input files: `<workspace>/archive/<sha256>` (the file's bytes,
read-only) and `<sha256>.json` (where the file was found in its inbox: relative path, name, source).

Ingestion copies every file it lands here (`warehouse.ingest`), so a T0 never depends on the inbox again:
the relative path is kept because recognition may read it (the COG vintage of a folder named `cog2026`)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import uuid
from pathlib import Path
from typing import Any

from ingestion.errors import PacteError
from ingestion.landing import sha256_of

ARCHIVE_DIR = "archive"
READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH


class Archive:
    def __init__(self, root: Path):
        self.root = root

    @classmethod
    def of(cls, workspace_root: Path) -> Archive:
        return cls(workspace_root / ARCHIVE_DIR)

    def path(self, sha256: str) -> Path:
        return self.root / sha256

    def info_path(self, sha256: str) -> Path:
        return self.root / f"{sha256}.json"

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def info(self, sha256: str) -> dict[str, Any]:
        path = self.info_path(sha256)
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def put(self, source: Path, sha256: str, info: dict[str, Any] | None = None, move: bool = False) -> Path:
        """Store a file under its checksum (atomic; a file already archived is kept as it is). The bytes
        are checked against `sha256` before they are archived: nothing unverified enters the archive."""
        self.root.mkdir(parents=True, exist_ok=True)
        target = self.path(sha256)
        if not target.exists():
            tmp = self.root / f".{sha256}.{uuid.uuid4().hex[:8]}.tmp"
            if move:
                os.replace(source, tmp)
            else:
                shutil.copyfile(source, tmp)
            actual = sha256_of(tmp)
            if actual != sha256:
                tmp.unlink()
                raise PacteError(f"Archive : le fichier {source.name} a changé pendant son archivage "
                                 f"(SHA-256 {actual[:12]}… au lieu de {sha256[:12]}…).")
            os.chmod(tmp, READ_ONLY)
            os.replace(tmp, target)
        elif move:
            source.unlink(missing_ok=True)
        if info and not self.info_path(sha256).exists():
            tmp = self.root / f".{sha256}.json.{uuid.uuid4().hex[:8]}.tmp"
            tmp.write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
            os.replace(tmp, self.info_path(sha256))
        return target


def stage_original(staging: Path, path: Path, sha256: str, chemin: str) -> None:
    """Copy a validated original into a run's staging folder (`_originaux/`); `commit_originals` archives it
    when the run lands (a refused run archives nothing)."""
    folder = staging / "_originaux"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, folder / sha256)
    (folder / f"{sha256}.json").write_text(json.dumps({"chemin": chemin, "fichier": path.name},
                                                      ensure_ascii=False), encoding="utf-8")


def commit_originals(staging: Path, archive: Archive) -> None:
    folder = staging / "_originaux"
    if not folder.is_dir():
        return
    for part in sorted(p for p in folder.iterdir() if not p.name.endswith(".json")):
        info_file = folder / f"{part.name}.json"
        info = json.loads(info_file.read_text(encoding="utf-8")) if info_file.exists() else {}
        archive.put(part, part.name, info, move=True)
