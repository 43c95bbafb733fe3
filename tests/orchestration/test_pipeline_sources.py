"""Per-source plans used by the `ingest_<source>` and `build_warehouse` DAGs (warehouse.pipeline helpers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.errors import PacteError
from tests.conftest import EPCI_2024, REAL, need_real
from warehouse import pipeline
from warehouse.workspace import Workspace

EPCI_FILO = REAL / "insee_filosofi" / "FILO2019_DISP_EPCI.csv"


@pytest.fixture()
def inbox(tmp_path: Path) -> Path:
    need_real(EPCI_2024, EPCI_FILO)
    box = tmp_path / "inbox"
    (box / "insee_filosofi").mkdir(parents=True)
    (box / EPCI_2024.name).symlink_to(EPCI_2024)
    (box / "insee_filosofi" / EPCI_FILO.name).symlink_to(EPCI_FILO)
    (box / "notes.txt").write_text("rien à voir\n")
    return box


def test_recognise_filters_by_source_without_changing_the_default(inbox: Path, tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "ws")
    everything = pipeline.recognise(ws, "16", inbox)
    assert sorted(f.source_id for f in everything.reconnus) == ["cog_insee", "insee_filosofi"]
    assert [p.name for p in everything.inconnus] == ["notes.txt"]
    only = pipeline.recognise(ws, "16", inbox, sources={"insee_filosofi"})
    assert [(f.path.name, f.millesime, f.niveau) for f in only.reconnus] == [(EPCI_FILO.name, 2019, "epci")]
    assert only.inconnus == []  # other sources' files are not "unknown" for this source's DAG
    assert pipeline.plan_source(ws, "cog_insee", inbox).reconnus[0].path.name == EPCI_2024.name
    assert pipeline.plan_source(ws, "caf", inbox).reconnus == []


def test_plan_rebuild_needs_a_departement(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path / "ws")
    with pytest.raises(PacteError, match="Aucun département publié"):
        pipeline.plan_rebuild(ws)
    with pytest.raises(PacteError, match="Code département invalide : « 1X »"):
        pipeline.plan_rebuild(ws, "1X")
    assert pipeline.plan_rebuild(ws, "2A").departement == "2A"
    ws.add_departement("40")
    assert pipeline.plan_rebuild(ws).departement == "40"
