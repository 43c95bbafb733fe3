"""A T0 snapshot on disk and its checks.

`<workspace>/t0/<label>/` (read-only once written):
- `indicateurs_t0.parquet` and `indicateurs_t0.csv` (the same rows, readable without this software),
  `besoins_epci.parquet`, `offre_epci.parquet`, `ecarts_epci.parquet`, `geographie.parquet` (commune → EPCI
  of the COG used, every commune of that vintage);
- `manifest.json`: label, département, date, build, commit, lock file hashes, rule parameters, every input
  file (SHA-256, source, millésime, COG, path in its inbox), every snapshot file's SHA-256, and the content
  hash of the indicator table (`empreinte_indicateurs`, see `content_hash`).
The inputs themselves are in the workspace's archive (`warehouse.t0.archive`), by checksum.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingestion.errors import PacteError
from ingestion.landing import sha256_of
from warehouse.t0.archive import Archive

T0_DIR = "t0"
MANIFEST = "manifest.json"
FORMAT = "pacte-t0/1"
LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# Columns of marts.indicateurs_t0 left out of the content hash: they name the build, not the content.
HASH_EXCLUDED = ("build_id",)
# The key of a row of marts.indicateurs_t0 (its unique_combination test).
ROW_KEY = ("niveau", "code_territoire", "code_departement", "indicateur_id", "millesime", "periode")


class SnapshotError(PacteError):
    """A snapshot is unknown, incomplete or altered (French message naming what)."""


def check_label(label: str) -> str:
    if not LABEL.match(label) or label.lower() == "archive":  # `archive/` holds the inputs in an export
        raise SnapshotError(f"Libellé de photographie invalide : « {label} » (lettres, chiffres, « . », « _ » "
                            "ou « - », 64 caractères au plus, ex. T0-2024).")
    return label


def t0_root(workspace_root: Path) -> Path:
    return workspace_root / T0_DIR


def snapshot_dir(workspace_root: Path, label: str) -> Path:
    return t0_root(workspace_root) / check_label(label)


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise SnapshotError(f"Photographie « {folder.name} » incomplète : {MANIFEST} manquant dans {folder}.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"Photographie « {folder.name} » : {MANIFEST} illisible ({exc}).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise SnapshotError(f"{path} n'est pas le manifeste d'une photographie T0 (format attendu : {FORMAT}).")
    return manifest


def load(workspace_root: Path, label: str) -> tuple[Path, dict[str, Any]]:
    folder = snapshot_dir(workspace_root, label)
    if not folder.is_dir():
        known = ", ".join(m["label"] for m in list_snapshots(workspace_root)) or "aucune"
        raise SnapshotError(f"Photographie inconnue : « {label} » dans {workspace_root} "
                            f"(photographies de cet espace : {known}).")
    return folder, read_manifest(folder)


def list_snapshots(workspace_root: Path) -> list[dict[str, Any]]:
    """The manifests of the workspace's snapshots, by date (an unreadable one is listed as such)."""
    out = []
    root = t0_root(workspace_root)
    if not root.is_dir():
        return []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            out.append(read_manifest(folder))
        except SnapshotError as exc:
            out.append({"label": folder.name, "erreur": str(exc)})
    return sorted(out, key=lambda m: (m.get("cree_le") or "", m["label"]))


# --- content hash ----------------------------------------------------------------------------------------
def render(value: Any) -> str:
    """One value as canonical text: the same value always gives the same text, whatever the file it came
    from (Parquet, DuckDB) or the row order."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "\\N"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(float(value))
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def canonical_rows(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> tuple[list[str], list[str]]:
    """(hashed columns sorted by name, each row rendered as tab-separated canonical text, rows sorted)."""
    keep = sorted(c for c in columns if c not in HASH_EXCLUDED)
    index = [list(columns).index(c) for c in keep]
    lines = sorted("\t".join(render(row[i]) for i in index) for row in rows)
    return keep, lines


def content_hash(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """SHA-256 of the indicator table defined on its content only: header of the hashed columns (sorted by
    name, `build_id` left out), then one canonical line per row, rows sorted; independent of file layout,
    column order and row order."""
    keep, lines = canonical_rows(columns, rows)
    digest = hashlib.sha256()
    digest.update(("\t".join(keep) + "\n").encode("utf-8"))
    for line in lines:
        digest.update((line + "\n").encode("utf-8"))
    return digest.hexdigest()


def parquet_content_hash(path: Path) -> tuple[str, int]:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    rows = list(zip(*(table.column(c).to_pylist() for c in table.column_names), strict=True))
    return content_hash(table.column_names, rows), len(rows)


# --- checks ----------------------------------------------------------------------------------------------
@dataclass
class Check:
    """What `verify` found: French lines, empty when everything matches."""

    problemes: list[str] = field(default_factory=list)
    verifies: int = 0

    @property
    def ok(self) -> bool:
        return not self.problemes


def verify_snapshot(folder: Path, manifest: dict[str, Any], archive: Archive) -> Check:
    """Re-check every hash of a snapshot: its files, the content hash of its indicator table, and each
    archived input file."""
    check = Check()
    for name, meta in sorted(manifest.get("fichiers_photographie", {}).items()):
        path = folder / name
        if not path.is_file():
            check.problemes.append(f"fichier manquant : {name} (photographie)")
            continue
        actual = sha256_of(path)
        check.verifies += 1
        if actual != meta["sha256"]:
            check.problemes.append(f"fichier altéré : {name} (photographie) — SHA-256 {actual[:12]}… au lieu de "
                                   f"{meta['sha256'][:12]}…")
    parquet = folder / "indicateurs_t0.parquet"
    if parquet.is_file():
        try:
            actual, _ = parquet_content_hash(parquet)
        except Exception as exc:  # noqa: BLE001 — an altered Parquet may not even be readable
            check.problemes.append(f"table des indicateurs illisible : indicateurs_t0.parquet ({type(exc).__name__})")
        else:
            check.verifies += 1
            if actual != manifest["empreinte_indicateurs"]:
                check.problemes.append("empreinte de contenu de la table des indicateurs différente de celle "
                                       "du manifeste (lignes modifiées)")
    for entree in manifest.get("fichiers_entree", []):
        sha = entree["sha256"]
        label = f"{entree['fichier']} ({entree['source_id']}, SHA-256 {sha[:12]}…)"
        if not archive.has(sha):
            check.problemes.append(f"fichier d'entrée manquant dans l'archive : {label}")
            continue
        actual = sha256_of(archive.path(sha))
        check.verifies += 1
        if actual != sha:
            check.problemes.append(f"fichier d'entrée altéré dans l'archive : {label} — contenu actuel "
                                   f"SHA-256 {actual[:12]}…")
    return check


# --- index for the published warehouse (marts.photographies_t0) ------------------------------------------
INDEX_COLUMNS = {"label": "VARCHAR", "code_departement": "VARCHAR", "cree_le": "TIMESTAMP", "build_id": "VARCHAR",
                 "publie_le": "TIMESTAMP", "geo_millesime": "INTEGER", "lignes_indicateurs": "INTEGER",
                 "empreinte_indicateurs": "VARCHAR", "commit_code": "VARCHAR", "fichiers_entree": "INTEGER",
                 "millesimes_sources": "VARCHAR", "donnees_synthetiques": "BOOLEAN"}


def index_rows(workspace_root: Path) -> list[list[Any]]:
    """One row per readable snapshot of the workspace (an unreadable one is shown by `t0 list` and `verify`)."""
    from datetime import datetime

    def ts(text: str | None) -> datetime | None:
        return datetime.fromisoformat(text).replace(tzinfo=None) if text else None

    rows = []
    for m in list_snapshots(workspace_root):
        if "erreur" in m:
            continue
        millesimes = sorted({f"{e['source_id']} {e['millesime']}" for e in m["fichiers_entree"] if e.get("millesime")})
        rows.append([m["label"], m["departement"], ts(m["cree_le"]), m["build_id"], ts(m.get("publie_le")),
                     m["geo_millesime"], m["lignes_indicateurs"], m["empreinte_indicateurs"],
                     (m.get("code") or {}).get("commit"), len(m["fichiers_entree"]), ", ".join(millesimes),
                     bool(m.get("donnees_synthetiques"))])
    return rows


def write_index(build_db: Path, workspace_root: Path) -> None:
    """`construction.photographies_t0` in a build file: the workspace's snapshots (dbt source of
    marts.photographies_t0), so that the published warehouse lists them."""
    import duckdb

    with duckdb.connect(str(build_db)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS construction")
        cols = ", ".join(f"{c} {t}" for c, t in INDEX_COLUMNS.items())
        con.execute(f"CREATE OR REPLACE TABLE construction.photographies_t0 ({cols})")
        rows = index_rows(workspace_root)
        if rows:
            con.executemany(f"INSERT INTO construction.photographies_t0 VALUES "
                            f"({', '.join('?' * len(INDEX_COLUMNS))})", rows)
