"""Soliguide place exports (API search results / export JSON): one object per `lieu` with `position` and
`services_all[].category` (categories of `Categories.enum.ts`). Implemented fields: lieu_id, name,
updatedAt, position.{adresse, codePostal, ville, departement, location.coordinates=[lon, lat]},
services_all[].{serviceObjectId, category}."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from ingestion import reference
from ingestion.errors import InvalidFile, Issue
from ingestion.positions import COLONNE as POSITION
from ingestion.positions import departement_de_code_postal, verdict
from ingestion.readers.common import ReadResult
from ingestion.readers.records import read_json_records, text_or_none
from ingestion.registry import RecognisedFile

REQUIS = ["lieu_id", "name", "position", "services_all"]


def _coords(position: Any) -> tuple[float | None, float | None]:
    try:
        lon, lat = position["location"]["coordinates"][:2]
        return float(lat), float(lon)
    except (TypeError, KeyError, ValueError, IndexError):
        return None, None


def read_lieux(fichier: RecognisedFile) -> ReadResult:
    path = fichier.path
    raw = read_json_records(path)
    manquantes = [c for c in REQUIS if c not in raw.columns]
    if manquantes:
        raise InvalidFile(path.name, [Issue(regle="clé(s) obligatoire(s) de l'export Soliguide absente(s)",
                                                   colonne=", ".join(manquantes))])
    pos = raw["position"].map(lambda p: p if isinstance(p, dict) else {})
    coords = pos.map(_coords)
    lieux = pd.DataFrame({
        "lieu_id": raw["lieu_id"].map(text_or_none), "nom": raw["name"].map(text_or_none),
        "adresse": pos.map(lambda p: text_or_none(p.get("adresse"))),
        "code_postal": pos.map(lambda p: text_or_none(p.get("codePostal"))),
        "ville": pos.map(lambda p: text_or_none(p.get("ville"))),
        "departement": pos.map(lambda p: text_or_none(p.get("departement") or p.get("departmentCode"))),
        "latitude": coords.map(lambda c: c[0]).astype(float), "longitude": coords.map(lambda c: c[1]).astype(float),
        "date_maj": (raw["updatedAt"] if "updatedAt" in raw else pd.Series(None, index=raw.index)).map(
            lambda v: (text_or_none(v) or "")[:10] or None),
        "ligne": raw.index.astype("int64"),
    }, index=raw.index)
    declare = [d if d and re.fullmatch(reference.DEPARTEMENT, d) else departement_de_code_postal(cp)
               for d, cp in zip(lieux["departement"], lieux["code_postal"], strict=True)]
    controle_lieux = lieux.assign(**{POSITION: [
        verdict(*(c if c[0] is not None and c[1] is not None else (None, None)), d)
        for c, d in zip(coords, declare, strict=True)]})
    rows = [(idx, lieux.at[idx, "lieu_id"], text_or_none(s.get("serviceObjectId")) if isinstance(s, dict) else None,
             text_or_none(s.get("category")) if isinstance(s, dict) else None)
            for idx, svcs in raw["services_all"].items() for s in (svcs if isinstance(svcs, list) else [])]
    services = pd.DataFrame(rows, columns=["ligne", "lieu_id", "service_id", "categorie"]).set_index("ligne",
                                                                                                    drop=False)
    services.index.name = None
    services["ligne"] = services["ligne"].astype("int64")
    controle_services = services[["service_id", "categorie"]].copy()
    controle_services.index.name = "ligne"
    dates = pd.to_datetime(lieux["date_maj"], errors="coerce", format="%Y-%m-%d")
    return ReadResult(checks={"lieux": controle_lieux, "services": controle_services},
                   tables={"soliguide_lieux": lieux, "soliguide_services": services},
                   millesime=int(dates.max().year) if dates.notna().any() else None)
