"""The declarative source registry (one fragment per source in `ingestion/sources/`) and file recognition by
name and header."""

from __future__ import annotations

import importlib
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REGISTRY_DIR = Path(__file__).with_name("sources")  # one YAML fragment per source
NIVEAUX = {"com": "commune", "epci": "epci", "dep": "departement", "reg": "region",
           "metro": "france", "metropole": "france"}


@dataclass(frozen=True)
class Format:
    id: str
    source_id: str
    libelle: str
    reader: str
    suite: str
    nom: re.Pattern[str]
    entete: dict[str, Any]

    def load_reader(self) -> Callable[..., Any]:
        module, func = self.reader.split(":")
        return getattr(importlib.import_module(module), func)


@dataclass(frozen=True)
class Source:
    id: str
    libelle: str
    producteur: str
    niveaux: list[str]
    calendrier: dict[str, str]
    secret: str
    url: str | None = None
    tables: dict[str, dict[str, str]] = field(default_factory=dict)
    formats: list[Format] = field(default_factory=list)


@dataclass(frozen=True)
class RecognisedFile:
    path: Path
    format: Format
    millesime: int | None
    geo_millesime: int | None
    niveau: str | None

    @property
    def source_id(self) -> str:
        return self.format.source_id

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable (passed between the steps of a run, e.g. through Airflow's XCom)."""
        return {"path": str(self.path), "source_id": self.source_id, "format_id": self.format.id,
                "millesime": self.millesime, "geo_millesime": self.geo_millesime, "niveau": self.niveau}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RecognisedFile:
        """The file as it was recognised (no new look at its name or header)."""
        fmt = next(f for f in load_registry()[data["source_id"]].formats if f.id == data["format_id"])
        return cls(path=Path(data["path"]), format=fmt, millesime=data["millesime"],
                   geo_millesime=data["geo_millesime"], niveau=data["niveau"])


@cache
def load_registry(directory: Path = REGISTRY_DIR) -> dict[str, Source]:
    sources: dict[str, Source] = {}
    for path in sorted(directory.glob("*.yml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        sid = spec["id"]
        if sid != path.stem:
            raise ValueError(f"{path}: id {sid!r} must match the file name")
        formats = [
            Format(id=f["id"], source_id=sid, libelle=f["libelle"], reader=f["reader"], suite=f["suite"],
                   nom=re.compile(f["nom"], re.IGNORECASE), entete=f.get("entete", {}))
            for f in spec.get("formats", [])
        ]
        sources[sid] = Source(id=sid, libelle=spec["libelle"], producteur=spec["producteur"],
                              niveaux=spec["niveaux"], calendrier=spec["calendrier"], secret=spec["secret"],
                              url=spec.get("url"), tables=spec.get("tables", {}),
                              formats=formats)
    return sources


def landing_schemas() -> dict[str, dict[str, str]]:
    """Every landing table declared by a source, name → {column: DuckDB type}."""
    tables: dict[str, dict[str, str]] = {}
    for source in load_registry().values():
        for name, columns in source.tables.items():
            if name in tables and tables[name] != columns:
                raise ValueError(f"landing table {name} declared twice with different columns")
            tables[name] = columns
    return tables


def all_formats() -> list[Format]:
    return [f for s in load_registry().values() for f in s.formats]


def _header_line(path: Path) -> str:
    with path.open("rb") as fh:
        first = fh.readline(65536)
    first = re.split(rb"[\r\n]", first, maxsplit=1)[0]  # a lone \r ends the line too (old Mac exports)
    return first.decode("utf-8-sig", errors="replace").strip()


def _csv_columns(path: Path) -> list[str]:
    line = _header_line(path)
    sep = max([";", ",", "\t", "|"], key=line.count)
    return [c.strip().strip('"') for c in line.split(sep)]


def _has_year_suffixed(columns: list[str], stems: list[str]) -> int | None:
    """Return the 2-digit year when every stem appears as <stem><yy> among the columns."""
    for col in columns:
        m = re.fullmatch(re.escape(stems[0]) + r"(\d{2})", col)
        if m and all(f"{s}{m.group(1)}" in columns for s in stems):
            return 2000 + int(m.group(1))
    return None


def _header_matches(path: Path, fmt: Format) -> tuple[bool, dict[str, Any]]:
    entete = fmt.entete
    suffix = path.suffix.lower()
    try:
        if "feuilles" in entete:
            if suffix != ".xlsx" or not zipfile.is_zipfile(path):
                return False, {}
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True)
            try:
                return set(entete["feuilles"]) <= set(wb.sheetnames), {}
            finally:
                wb.close()
        if "cles_json" in entete:
            if suffix != ".json":
                return False, {}
            first = _first_json_object(path)
            return first is not None and set(entete["cles_json"]) <= set(first), {}
        if "colonnes" in entete:
            if suffix not in {".csv", ".txt"}:
                return False, {}
            cols = _csv_columns(path)
            if not set(entete["colonnes"]) <= set(cols):
                return False, {}
            if not entete.get("colonnes_millesimees"):
                return True, {}  # long layouts: the vintage is a column, checked by the suite
            year = _has_year_suffixed(cols, entete.get("colonnes_millesimees", []))
            return year is not None, {"millesime": year}
    except (OSError, ValueError, zipfile.BadZipFile):
        return False, {}
    return False, {}


def _first_json_object(path: Path) -> dict[str, Any] | None:
    with path.open("rb") as fh:
        head = fh.read(200_000).decode("utf-8", errors="replace").lstrip()
    if not head.startswith("["):
        return None
    try:
        decoder = json.JSONDecoder()
        obj, _ = decoder.raw_decode(head[1:].lstrip())
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def recognise(path: Path, source_id: str | None = None) -> RecognisedFile | None:
    """Identify a file: by its name first (the header is then checked by validation), else by header.

    `source_id`: only that source's files are wanted (its `ingest_<source>` DAG). Names are still matched
    against every format (a file named for another source is not this one's), headers only against this
    source's formats (no sniffing of every format for every file)."""
    name = path.name
    for fmt in all_formats():
        # Folder names carry the vintage for package files (e.g. v6.0.0_cog2026/communes.json).
        candidate = name if fmt.nom.search(name) else f"{path.parent.name}_{name}"
        m = fmt.nom.search(candidate)
        if m and (fmt.nom.search(name) or "cles_json" in fmt.entete):
            groups = m.groupdict()
            if source_id is not None and fmt.source_id != source_id:
                return None
            return RecognisedFile(
                path=path, format=fmt,
                millesime=int(groups["millesime"]) if groups.get("millesime") else None,
                geo_millesime=int(groups["geo_millesime"]) if groups.get("geo_millesime") else None,
                niveau=NIVEAUX.get((groups.get("niveau") or "").lower()),
            )
    for fmt in all_formats():
        if "cles_json" in fmt.entete or (source_id is not None and fmt.source_id != source_id):
            continue  # JSON files need a vintage in their name or folder
        ok, found = _header_matches(path, fmt)
        if ok:
            return RecognisedFile(path=path, format=fmt, millesime=found.get("millesime"),
                                  geo_millesime=None, niveau=None)
    return None


def unknown_hint(path: Path) -> str | None:
    """Why a file was not recognised, in French, when its content says what it is: an Etalab découpage
    administratif JSON file whose name and folder carry no COG vintage."""
    if path.suffix.lower() != ".json":
        return None
    first = _first_json_object(path)
    if first is None:
        return None
    for fmt in all_formats():
        if "cles_json" in fmt.entete and set(fmt.entete["cles_json"]) <= set(first):
            return (f"contenu reconnu ({fmt.libelle}), mais le millésime du COG est introuvable : le nom du dossier "
                    f"ou du fichier doit contenir « cogAAAA » (règle : « cog » suivi des quatre chiffres de "
                    f"l'année, ex. dossier « v6.0.0_cog2026/{path.name} » ou fichier "
                    f"« cog2026_{path.name} »)")
    return None


def scan_inbox(inbox: Path, source_id: str | None = None) -> tuple[list[RecognisedFile], list[Path]]:
    """Recognise every file below the inbox; unknown files are returned, never silently skipped.
    With `source_id`, only that source's files are returned (see `recognise`), and no unknown ones."""
    known: list[RecognisedFile] = []
    unknown: list[Path] = []
    from ingestion.dictionaries import is_companion_meta

    for path in sorted(p for p in inbox.rglob("*") if p.is_file() and not p.name.startswith(".")):
        if is_companion_meta(path):
            continue  # an INSEE variable dictionary, read with its data file (ingestion/dictionaries)
        found = recognise(path, source_id)
        if found is None and source_id is not None:
            continue
        (known.append(found) if found else unknown.append(path))
    return known, unknown
