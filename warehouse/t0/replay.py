"""`bin/pacte t0 replay`: rebuild a snapshot's département from its archived inputs alone, in a fresh
workspace, through the normal run path (the archived files are put in an inbox under their original paths,
then `warehouse.run.run`), and compare the content hash of the rebuilt indicator table with the frozen one."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from ingestion.fetch import ORIGINS_FILE
from warehouse import plan, run
from warehouse.t0.archive import Archive
from warehouse.t0.freeze import _git_commit, _lock_hashes, _rule_parameters
from warehouse.t0.manifest import (
    HASH_EXCLUDED,
    ROW_KEY,
    SnapshotError,
    content_hash,
    load,
    render,
    snapshot_dir,
    verify_snapshot,
)
from warehouse.workspace import Workspace

MAX_LISTED = 50


@dataclass
class ReplayResult:
    label: str
    departement: str
    empreinte_t0: str
    empreinte_rejeu: str
    lignes_t0: int
    lignes_rejeu: int
    differences: list[str] = field(default_factory=list)
    causes: list[str] = field(default_factory=list)

    @property
    def identique(self) -> bool:
        return self.empreinte_t0 == self.empreinte_rejeu


def _fresh(ws: Workspace) -> None:
    if ws.landing.manifest() or ws.served_db.exists():
        raise SnapshotError(f"L'espace {ws.root} n'est pas neuf (fichiers chargés ou version publiée) : le rejeu "
                            "se fait dans un espace vide, par exemple --workspace var/rejeu-T0.")


def _bring(source_root: Path, ws: Workspace, label: str) -> None:
    """Copy a snapshot and its archived inputs from another workspace into the replay workspace."""
    folder, manifest = load(source_root, label)
    check = verify_snapshot(folder, manifest, Archive.of(source_root))
    if not check.ok:
        raise SnapshotError(f"Photographie « {label} » altérée, rejeu refusé :\n"
                            + "\n".join(f"  • {p}" for p in check.problemes))
    archive, source_archive = Archive.of(ws.root), Archive.of(source_root)
    for entree in manifest["fichiers_entree"]:
        archive.put(source_archive.path(entree["sha256"]), entree["sha256"],
                    {"chemin": entree["chemin"], "fichier": entree["fichier"]})
    target = snapshot_dir(ws.root, label)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".copie-{label}")
    shutil.copytree(folder, tmp)
    os.rename(tmp, target)


def _inbox(ws: Workspace, manifest: dict[str, Any]) -> Path:
    """An inbox of the archived files under their original relative paths, with the lineage sidecar
    (synthetic flag, download URL and date) they were landed with."""
    inbox = ws.root / "rejeu" / manifest["label"] / "inbox"
    if inbox.exists():
        shutil.rmtree(inbox)
    inbox.mkdir(parents=True)
    archive = Archive.of(ws.root)
    origins = {}
    for entree in manifest["fichiers_entree"]:
        target = inbox / entree["chemin"]
        if target.resolve().parent != inbox.resolve() and inbox.resolve() not in target.resolve().parents:
            raise SnapshotError(f"Chemin d'origine refusé dans le manifeste : {entree['chemin']}")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(archive.path(entree["sha256"]), target)
        facts = {k: entree[k] for k in ("url", "recupere_le") if entree.get(k)}
        if entree.get("synthetique"):
            facts["synthetique"] = True
        if facts:
            origins[entree["sha256"]] = facts
    if origins:
        (inbox / ORIGINS_FILE).write_text(json.dumps(origins, ensure_ascii=False, indent=1), encoding="utf-8")
    return inbox


def _rows(columns: list[str], rows: list[tuple[Any, ...]]) -> dict[tuple[str, ...], dict[str, str]]:
    index = {c: i for i, c in enumerate(columns)}
    return {tuple(render(r[index[k]]) for k in ROW_KEY):
            {c: render(r[i]) for c, i in index.items() if c not in HASH_EXCLUDED} for r in rows}


def differences(frozen: tuple[list[str], list[tuple[Any, ...]]],
                rebuilt: tuple[list[str], list[tuple[Any, ...]]]) -> list[str]:
    """The rows that differ, in French: missing, new, or changed (with the columns and both values)."""
    out: list[str] = []
    if sorted(frozen[0]) != sorted(rebuilt[0]):
        gone = sorted(set(frozen[0]) - set(rebuilt[0]))
        new = sorted(set(rebuilt[0]) - set(frozen[0]))
        out.append("colonnes différentes :" + (f" disparues {', '.join(gone)}" if gone else "")
                   + (f" nouvelles {', '.join(new)}" if new else ""))
    a, b = _rows(*frozen), _rows(*rebuilt)

    def name(key: tuple[str, ...]) -> str:
        niveau, code, _, indicateur, millesime, periode = key
        return f"{niveau} {code}, {indicateur}, millésime {millesime}" + ("" if periode == "\\N" else f" ({periode})")

    for key in sorted(a.keys() - b.keys()):
        out.append(f"ligne absente du rejeu : {name(key)}")
    for key in sorted(b.keys() - a.keys()):
        out.append(f"ligne nouvelle dans le rejeu : {name(key)}")
    for key in sorted(a.keys() & b.keys()):
        changed = [c for c in sorted(a[key]) if c in b[key] and a[key][c] != b[key][c]]
        if changed:
            out.append(f"ligne modifiée : {name(key)} — "
                       + "; ".join(f"{c} : {a[key][c]} (T0) → {b[key][c]} (rejeu)" for c in changed))
    return out


def _causes(manifest: dict[str, Any]) -> list[str]:
    """Why a replay may differ: another code version, other locked dependencies, other rule parameters."""
    causes = []
    code = _git_commit()
    frozen = manifest.get("code", {})
    if code.get("commit") != frozen.get("commit"):
        causes.append(f"autre version du code : {str(frozen.get('commit'))[:12]} (T0) → "
                      f"{str(code.get('commit'))[:12]} (rejeu)")
    if code.get("modifications_locales") or frozen.get("modifications_locales"):
        causes.append("code modifié localement (non commité) au T0 ou au rejeu")
    locks = _lock_hashes()
    for name in sorted(set(locks) | set(manifest.get("verrous", {}))):
        if locks.get(name) != manifest.get("verrous", {}).get(name):
            causes.append(f"dépendances différentes : lock/{name}")
    if _rule_parameters() != manifest.get("parametres_regles"):
        causes.append("paramètres des règles différents (vars de dbt_project/dbt_project.yml)")
    return causes


def replay(label: str, workspace_root: Path, source_root: Path | None = None,
           on_plan: Callable[[plan.RunPlan], None] | None = None) -> ReplayResult:
    ws = Workspace.at(workspace_root)
    _fresh(ws)
    if not snapshot_dir(ws.root, label).is_dir():
        if source_root is None:
            load(ws.root, label)  # raises the French "unknown label" error
        _bring(Path(source_root).resolve(), ws, label)
    folder, manifest = load(ws.root, label)
    check = verify_snapshot(folder, manifest, Archive.of(ws.root))
    if not check.ok:
        raise SnapshotError(f"Photographie « {label} » altérée, rejeu refusé :\n"
                            + "\n".join(f"  • {p}" for p in check.problemes))
    inbox = _inbox(ws, manifest)
    departement = manifest["departement"]
    seen: list[plan.RunPlan] = []

    def planned(run_plan: plan.RunPlan) -> None:
        seen.append(run_plan)
        if on_plan:
            on_plan(run_plan)

    run.run(ws, departement, inbox, manifest["geo_millesime"], on_plan=planned)
    table = pq.read_table(folder / "indicateurs_t0.parquet")
    frozen_cols = table.column_names
    frozen_rows = list(zip(*(table.column(c).to_pylist() for c in frozen_cols), strict=True))
    with duckdb.connect(str(ws.served_db), read_only=True) as con:
        cur = con.execute("SELECT * FROM marts.indicateurs_t0 WHERE code_departement = ?", [departement])
        cols = [d[0] for d in cur.description]
        rows = cur.fetchall()
    result = ReplayResult(label, departement, manifest["empreinte_indicateurs"], content_hash(cols, rows),
                          len(frozen_rows), len(rows))
    if content_hash(frozen_cols, frozen_rows) != manifest["empreinte_indicateurs"]:
        raise SnapshotError("La table figée ne correspond plus à son empreinte : photographie altérée.")
    if not result.identique:
        result.differences = differences((frozen_cols, frozen_rows), (cols, rows))
        result.causes = [f"fichier d'origine non reconnu par le code actuel : {p.relative_to(inbox).as_posix()}"
                         for p in (seen[0].unknown if seen else [])] + _causes(manifest)
    return result
