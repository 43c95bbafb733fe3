"""Landing zone: validated tables as Parquet with lineage on every row, deduplicated by file checksum."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ingestion.readers.common import ReadResult
from ingestion.registry import RecognisedFile, landing_schemas

LINEAGE_SCHEMA = {"_source_id": "VARCHAR", "_format_id": "VARCHAR", "_fichier": "VARCHAR", "_sha256": "VARCHAR",
                  "_millesime": "INTEGER", "_geo_millesime": "INTEGER", "_run_id": "VARCHAR",
                  "_charge_le": "TIMESTAMP", "_synthetique": "BOOLEAN",
                  # Set for files downloaded by ingestion.fetch; NULL for files dropped in the inbox.
                  "_url": "VARCHAR", "_recupere_le": "TIMESTAMP"}


# The registry's landing types (DuckDB names) as Arrow types: every landed column is cast to its declared type.
ARROW_TYPES = {"VARCHAR": pa.string(), "DOUBLE": pa.float64(), "INTEGER": pa.int32(), "BIGINT": pa.int64(),
               "BOOLEAN": pa.bool_()}


def arrow_schema(columns: dict[str, str]) -> pa.Schema:
    return pa.schema([(name, ARROW_TYPES[kind]) for name, kind in columns.items()])


def typed(frame: pd.DataFrame, columns: dict[str, str]) -> pa.Table:
    """The reader's frame as the registry declares it: declared columns, in order, cast to their types
    (a column the reader did not produce is all null). A value the type cannot hold (1.5 in an INTEGER
    column) raises: a reader bug, never silently truncated."""
    table = pa.Table.from_pandas(frame.reindex(columns=list(columns)), preserve_index=False)
    return table.cast(arrow_schema(columns), safe=True)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def _lineage(entry: dict[str, Any], fichier: RecognisedFile, sha256: str, rows: int) -> pd.DataFrame:
    """Lineage columns (one value per file) for `rows` rows.

    Built on one row then repeated by position: n-long Python lists and parsing the same date n times
    cost more than writing the Parquet file. Dtypes are those of the one-row frame, hence the same.
    """
    out = pd.DataFrame(index=pd.RangeIndex(min(rows, 1)))
    out["_source_id"] = fichier.source_id
    out["_format_id"] = fichier.format.id
    out["_fichier"] = fichier.path.name
    out["_sha256"] = sha256
    out["_millesime"] = pd.array([entry["millesime"]] * len(out), dtype="Int32")
    out["_geo_millesime"] = pd.array([entry["geo_millesime"]] * len(out), dtype="Int32")
    out["_run_id"] = entry["run_id"]
    out["_charge_le"] = pd.Timestamp(entry["charge_le"]).tz_convert(None)
    out["_synthetique"] = entry["synthetique"]
    out["_url"] = pd.array([entry["url"]] * len(out), dtype="string")
    out["_recupere_le"] = pd.Series(pd.to_datetime([entry["recupere_le"]] * len(out), utc=True),
                                    index=out.index).dt.tz_convert(None)
    return out if rows <= 1 else out.take(np.zeros(rows, dtype=np.intp)).reset_index(drop=True)


def parquet_name(source_id: str, sha256: str) -> str:
    """A landed file's Parquet name in each of its entities' folders (immutable: named by checksum)."""
    return f"{source_id}__{sha256[:16]}.parquet"


class Landing:
    """`landing/<entity>/<source>__<sha>.parquet` + `_manifest.json`. The manifest is the landing zone: a
    Parquet file it does not list (moved in by a run killed before the manifest was written) is never built,
    and is deleted by the next commit or withdrawal, both made under the workspace's writer lock."""

    def __init__(self, root: Path):
        self.root = root
        self.manifest_path = root / "_manifest.json"

    def manifest(self) -> dict[str, dict[str, Any]]:
        if not self.manifest_path.exists():
            return {}
        return json.loads(self.manifest_path.read_text(encoding="utf-8"))

    def already_landed(self, sha256: str) -> bool:
        return sha256 in self.manifest()

    def files_for(self, entity: str, manifest: dict[str, dict[str, Any]] | None = None) -> list[Path]:
        """The entity's Parquet files of the manifest's entries (read now unless a snapshot is given)."""
        manifest = self.manifest() if manifest is None else manifest
        return sorted(self.root / entity / parquet_name(e["source_id"], sha)
                      for sha, e in manifest.items() if entity in e.get("tables", {}))

    def orphans(self) -> list[Path]:
        """Parquet files on disk that the manifest does not list."""
        listed = {self.root / entity / parquet_name(e["source_id"], sha)
                  for sha, e in self.manifest().items() for entity in e.get("tables", {})}
        return sorted(p for p in self.root.glob("*/*.parquet") if p not in listed)

    def _write_manifest(self, manifest: dict[str, dict[str, Any]]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.manifest_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, self.manifest_path)

    def withdraw(self, shas: list[str], aside: Path) -> list[dict[str, Any]]:
        """Take files out of the landing zone: out of the manifest first (atomically: from then on no build
        sees them), then their Parquet moved to `aside`. Returns the withdrawn entries."""
        manifest = self.manifest()
        withdrawn = [manifest.pop(sha) | {"sha256": sha} for sha in shas if sha in manifest]
        if not withdrawn:
            return []
        self._write_manifest(manifest)
        for entry in withdrawn:
            for entity in entry.get("tables", {}):
                part = self.root / entity / parquet_name(entry["source_id"], entry["sha256"])
                if part.exists():
                    (aside / entity).mkdir(parents=True, exist_ok=True)
                    os.replace(part, aside / entity / part.name)
        for orphan in self.orphans():
            orphan.unlink(missing_ok=True)
        return withdrawn

    def stage(self, staging: Path, fichier: RecognisedFile, result: ReadResult, sha256: str, run_id: str,
              synthetique: bool, origine: dict[str, str] | None = None) -> dict[str, Any]:
        """Write the read tables with lineage into a staging folder (not yet visible to builds)."""
        entry = {
            "fichier": fichier.path.name, "source_id": fichier.source_id, "format_id": fichier.format.id,
            "millesime": result.millesime or fichier.millesime, "geo_millesime": result.geo_millesime,
            "run_id": run_id, "charge_le": datetime.now(UTC).isoformat(timespec="seconds"),
            "synthetique": synthetique, "tables": {},
            "url": (origine or {}).get("url"), "recupere_le": (origine or {}).get("recupere_le"),
        }
        if result.info.get("colonnes_non_chargees"):  # columns of the file this source does not land
            entry["colonnes_non_chargees"] = list(result.info["colonnes_non_chargees"])
        for entity, frame in result.tables.items():
            table = typed(frame, landing_schemas()[entity])
            lineage = pa.Table.from_pandas(_lineage(entry, fichier, sha256, table.num_rows), preserve_index=False)
            for name, column in zip(lineage.column_names, lineage.columns, strict=True):
                table = table.append_column(name, column)
            target = staging / entity / parquet_name(fichier.source_id, sha256)
            target.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, target)
            entry["tables"][entity] = table.num_rows
        return entry

    def commit(self, staging: Path, entries: dict[str, dict[str, Any]]) -> None:
        """Move staged Parquet into the landing zone, then record them in the manifest (atomically). Orphans
        of an earlier run killed between the two steps are deleted first (never built, see `files_for`)."""
        for orphan in self.orphans():
            orphan.unlink(missing_ok=True)
        for part in sorted(staging.rglob("*.parquet")):
            target = self.root / part.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(part, target)
        manifest = self.manifest()
        manifest.update(entries)
        self._write_manifest(manifest)
        shutil.rmtree(staging, ignore_errors=True)
