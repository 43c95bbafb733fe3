"""What every synthetic generator gets: the inbox and the real COG geography the files must use."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd


@dataclass
class DemoContext:
    inbox: Path
    cache: Path  # registry downloads (npm, PyPI) kept between runs
    departement: str
    communes: pd.DataFrame  # commune-actuelle of COG 2024: code, nom, departement, region, population
    epci: pd.DataFrame  # code, nom, type
    epci_of: dict[str, str]  # commune code → EPCI SIREN

    @classmethod
    def from_geography(cls, inbox: Path, cache: Path, folder: Path, departement: str) -> DemoContext:
        communes = pd.DataFrame(json.loads((folder / "communes.json").read_text(encoding="utf-8")))
        communes = communes[communes["type"] == "commune-actuelle"].reset_index(drop=True)
        epci_raw = json.loads((folder / "epci.json").read_text(encoding="utf-8"))
        epci = pd.DataFrame([{k: e[k] for k in ("code", "nom", "type")} for e in epci_raw])
        epci_of = {m["code"]: e["code"] for e in epci_raw for m in e["membres"]}
        return cls(inbox=inbox, cache=cache, departement=departement, communes=communes, epci=epci, epci_of=epci_of)
