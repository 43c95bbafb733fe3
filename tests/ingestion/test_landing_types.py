"""The landing zone holds the registry's types: every Parquet file landed from the demo inbox has exactly the
declared columns, in order, with their declared types, then the lineage columns."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingestion.landing import ARROW_TYPES, LINEAGE_SCHEMA, typed
from ingestion.registry import landing_schemas


def test_every_landed_parquet_has_the_declared_schema(demo_ws: Path) -> None:
    manifest = json.loads((demo_ws / "landing" / "_manifest.json").read_text(encoding="utf-8"))
    schemas = landing_schemas()
    checked = 0
    for entry in manifest.values():
        for entity in entry["tables"]:
            for path in (demo_ws / "landing" / entity).glob(f"{entry['source_id']}__*.parquet"):
                schema = pq.read_schema(path)
                declared = schemas[entity]
                assert schema.names == [*declared, *LINEAGE_SCHEMA], path.name
                got = {n: schema.field(n).type for n in declared}
                assert got == {n: ARROW_TYPES[t] for n, t in declared.items()}, (entity, path.name)
                checked += 1
    # Every entity a demo source lands is covered (all but the landing tables no demo file feeds).
    assert checked >= 15 and {e for entry in manifest.values() for e in entry["tables"]} >= {
        "filosofi", "insee_populations_legales_valeurs", "caf_valeurs", "geo_communes", "di_services"}


def test_values_the_declared_type_cannot_hold_are_refused() -> None:
    import pandas as pd

    frame = pd.DataFrame({"a": [1.0, 2.5]})
    with pytest.raises(pa.ArrowInvalid):
        typed(frame, {"a": "INTEGER"})
    table = typed(pd.DataFrame({"a": [1, 2], "b": ["x", None]}), {"a": "DOUBLE", "c": "VARCHAR", "b": "VARCHAR"})
    assert table.schema == pa.schema([("a", pa.float64()), ("c", pa.string()), ("b", pa.string())])
    assert table.to_pydict() == {"a": [1.0, 2.0], "c": [None, None], "b": ["x", None]}
