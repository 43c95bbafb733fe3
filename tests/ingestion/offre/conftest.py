"""Fixtures of the offer sources: synthetic demo inputs generated once per session (COG 2024 geography)."""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.inputs import fetch_geography
from demo.synthetic.context import DemoContext
from tests.conftest import REPO

CACHE = REPO / ".cache" / "registry"


@pytest.fixture(scope="session")
def offre_ctx(tmp_path_factory: pytest.TempPathFactory) -> DemoContext:
    inbox = tmp_path_factory.mktemp("offre_inbox")
    return DemoContext.from_geography(inbox, CACHE, fetch_geography(CACHE, 2024), "16")


@pytest.fixture(scope="session")
def offre_files(offre_ctx: DemoContext) -> dict[str, Path]:
    from demo.synthetic.documents import demo_documents
    from demo.synthetic.offre import demo_data_inclusion, demo_dispositifs, demo_soliguide

    names = (demo_data_inclusion(offre_ctx) + demo_soliguide(offre_ctx) + demo_dispositifs(offre_ctx)
             + demo_documents(offre_ctx))
    return {n: offre_ctx.inbox / n for n in names}
