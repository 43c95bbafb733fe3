"""Parsing parity: every demo inbox file and every real file a reader accepts lands the same values as the
readers did before number parsing was simplified (commit b2ccea1, frozen as digests in
`tests/data/parity_digests.json`).

A digest is that of a landed table canonicalised by its declared type (numbers as doubles, everything else
as text, rows sorted, lineage columns left out), so a column that became its declared type (int64 → DOUBLE)
keeps its digest while any changed value changes it. Regenerate the file only when a value change is meant:
`PYTHONPATH=. .venvs/pipeline/bin/python tests/ingestion/test_parsing_parity.py --write DEMO_INBOX`.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[2]
REAL = REPO.parent / "shared" / "data" / "real"
DIGESTS = REPO / "tests" / "data" / "parity_digests.json"
NUMERIC = {"DOUBLE", "INTEGER", "BIGINT"}
# A document's identity is its file's checksum, which changes with the zip timestamps of a generated document.
IDENTITY = {"sha256", "document_id"}


def _canonical(value: object, declared: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "∅"
    if declared in NUMERIC:
        return repr(float(value))  # type: ignore[arg-type]
    return str(value)


def digest_of(parquet: Path, schema: dict[str, str]) -> str:
    """The canonical digest of one landed table (declared columns only, order-insensitive)."""
    schema = {c: t for c, t in schema.items() if c not in IDENTITY}
    table = pq.read_table(parquet, columns=list(schema))
    columns = [table.column(c).to_pylist() for c in schema]
    rows = sorted("\x1f".join(_canonical(v, t) for v, t in zip(row, schema.values(), strict=True))
                  for row in zip(*columns, strict=True))
    h = hashlib.sha256()
    for row in rows:
        h.update(row.encode("utf-8") + b"\x1e")
    return f"{len(rows)}:{h.hexdigest()}"


def landed_digests(path: Path) -> dict[str, str] | None:
    """Read, then stage (the landing write) one file; None when no reader accepts it."""
    from ingestion.errors import InvalidFile
    from ingestion.landing import Landing, sha256_of
    from ingestion.registry import landing_schemas, recognise

    fichier = recognise(path)
    if fichier is None:
        return None
    try:
        result = fichier.format.load_reader()(fichier)
    except InvalidFile:
        return None
    sha = sha256_of(path)
    with tempfile.TemporaryDirectory() as tmp:
        entry = Landing(Path(tmp) / "landing").stage(Path(tmp) / "staging", fichier, result, sha, "parite", False)
        schemas = landing_schemas()
        return {entity: digest_of(Path(tmp) / "staging" / entity / next(
                    p.name for p in (Path(tmp) / "staging" / entity).glob("*.parquet")), schemas[entity])
                for entity in sorted(entry["tables"])}


def corpus(demo_inbox: Path) -> list[Path]:
    files = sorted(p for p in demo_inbox.rglob("*") if p.is_file() and not p.name.startswith("."))
    if REAL.exists():
        files += sorted(p for p in REAL.rglob("*") if p.is_file() and p.suffix != ".md")
    return files


def compute(demo_inbox: Path) -> dict[str, dict[str, str]]:
    """Digests by file: `demo/<name>` (generated with fixed seeds; workbooks and documents differ in their zip
    timestamps only, hence no checksum in the key) and `real/<folder>/<name>`."""
    out: dict[str, dict[str, str]] = {}
    for path in corpus(demo_inbox):
        digests = landed_digests(path)
        if digests is not None:
            out[f"real/{path.parent.name}/{path.name}" if REAL in path.parents else f"demo/{path.name}"] = digests
    return out


def test_landed_values_unchanged_on_demo_and_real_files(demo_ws: Path) -> None:
    expected = json.loads(DIGESTS.read_text(encoding="utf-8"))
    actual = compute(demo_ws / "inbox")
    real_expected = {k for k in expected if k.startswith("real/")}
    assert len(actual) >= 30, sorted(actual)  # the demo inbox alone has more than 30 readable files
    missing = sorted(set(expected) - set(actual))
    if not REAL.exists():  # without ../shared only the demo files can be compared
        missing = [k for k in missing if k not in real_expected]
    assert not missing, f"fichiers du corpus plus lus : {missing}"
    differ = {k: (expected[k], v) for k, v in actual.items() if k in expected and expected[k] != v}
    assert not differ, f"valeurs chargées modifiées : {json.dumps(differ, indent=1)[:4000]}"
    assert set(actual) <= set(expected), f"fichiers sans empreinte de référence : {sorted(set(actual) - set(expected))}"


if __name__ == "__main__":  # --write DEMO_INBOX: freeze the digests of the current readers
    if len(sys.argv) != 3 or sys.argv[1] != "--write":
        sys.exit("usage: test_parsing_parity.py --write DEMO_INBOX")
    DIGESTS.parent.mkdir(parents=True, exist_ok=True)
    DIGESTS.write_text(json.dumps(compute(Path(sys.argv[2])), indent=1, sort_keys=True) + "\n", encoding="utf-8")
