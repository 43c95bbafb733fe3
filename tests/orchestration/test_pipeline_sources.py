"""Run plans (warehouse.plan) used by the CLI and the DAGs, and the run reference they pass through XCom."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.errors import PacteError
from tests.conftest import EPCI_2024, REAL, need_real
from warehouse import plan
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


def test_recognise_and_for_source(inbox: Path) -> None:
    everything = plan.recognise("16,40", inbox)
    assert everything.departements == ["16", "40"]
    assert sorted(f.source_id for f in everything.recognised) == ["cog_insee", "insee_filosofi"]
    assert [p.name for p in everything.unknown] == ["notes.txt"]
    only = plan.for_source("insee_filosofi", inbox)
    assert [(f.path.name, f.millesime, f.niveau) for f in only.recognised] == [(EPCI_FILO.name, 2019, "epci")]
    assert only.unknown == [] and only.departements == []  # other sources' files are not "unknown" here
    assert plan.for_source("cog_insee", inbox).recognised[0].path.name == EPCI_2024.name
    assert plan.for_source("caf", inbox).recognised == []


def test_run_ref_round_trips_through_json_without_recognising_again(inbox: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from ingestion import registry

    run_plan = plan.recognise("tous", inbox)
    ref = json.loads(json.dumps(run_plan.ref.to_dict()))  # what XCom stores
    monkeypatch.setattr(registry, "recognise", lambda *a, **k: pytest.fail("inbox recognised again"))
    again = plan.RunPlan.from_ref(ref)
    assert (again.run_id, again.departements, again.inbox) == (run_plan.run_id, ["tous"], inbox)
    assert again.recognised == run_plan.recognised


def test_departement_codes_are_checked_once_everywhere(tmp_path: Path, inbox: Path) -> None:
    ws = Workspace.at(tmp_path / "ws")
    with pytest.raises(PacteError, match="Aucun département publié"):
        plan.for_rebuild(ws)
    for bad in ("1X", "00", "99", "2C", "16,1X"):
        with pytest.raises(PacteError, match="Code département invalide"):
            plan.for_rebuild(ws, bad)
        with pytest.raises(PacteError, match="Code département invalide"):
            plan.recognise(bad, inbox)
    assert plan.for_rebuild(ws, "2a").departements == ["2A"]
    assert plan.recognise("971", inbox).departements == ["971"]
    ws.add_departement("40")
    assert plan.for_rebuild(ws).departements == []  # the build keeps the published ones
