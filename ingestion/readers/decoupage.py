"""Etalab `@etalab/decoupage-administratif` JSON (one package version per COG vintage)."""

from __future__ import annotations

import json

import pandas as pd

from ingestion.errors import InvalidFile
from ingestion.readers.common import ReadResult, decode_utf8
from ingestion.registry import RecognisedFile


def _load(fichier: RecognisedFile) -> tuple[list[dict], int]:
    path = fichier.path
    text = decode_utf8(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidFile(path.name, f"JSON invalide ligne {exc.lineno} : {exc.msg} (fichier tronqué ?)") from None
    if not isinstance(data, list) or not data:
        raise InvalidFile(path.name, "le JSON doit être une liste non vide d'objets")
    if fichier.geo_millesime is None:
        raise InvalidFile(path.name, "millésime COG introuvable : nommez le fichier ou son dossier « …cogAAAA… »")
    return data, fichier.geo_millesime


def _frame(records: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records)
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="ligne")  # one object per line after "["
    return frame


def read_communes_json(fichier: RecognisedFile) -> ReadResult:
    data, geo = _load(fichier)
    raw = _frame(data)
    for col in ("chefLieu", "anciensCodes", "population", "region"):
        if col not in raw:
            raw[col] = None
    current = raw[raw["type"].isin(["commune-actuelle", "arrondissement-municipal"])]
    communes = pd.DataFrame({
        "geo_millesime": geo, "code_commune": current["code"].astype(str), "libelle": current["nom"],
        "code_departement": current["departement"], "code_region": current["region"],
        "type_commune": current["type"], "population": pd.to_numeric(current["population"]).astype("Int64"),
    })
    # Passage old code → current code: `anciensCodes` of current communes, and the chef-lieu of
    # communes déléguées/associées (whose own code may have been absorbed).
    olds = current[["code", "anciensCodes"]].explode("anciensCodes").dropna()
    passage = pd.DataFrame({"code_ancien": olds["anciensCodes"].astype(str), "code_actuel": olds["code"].astype(str)})
    delegated = raw[raw["type"].isin(["commune-deleguee", "commune-associee"]) & raw["chefLieu"].notna()]
    passage = pd.concat([passage, pd.DataFrame({"code_ancien": delegated["code"].astype(str),
                                                "code_actuel": delegated["chefLieu"].astype(str)})])
    passage = passage[passage.code_ancien != passage.code_actuel].drop_duplicates("code_ancien")
    passage.insert(0, "geo_millesime", geo)
    controle = raw.rename(columns={"code": "code_commune"})[["code_commune", "nom", "type", "departement"]]
    # Current communes only: a commune associée may lie in another département than its commune of attachment
    # (02285 associated to a commune of the Nord, 79224 to one of Maine-et-Loire in COG 2024). A missing code or
    # département is reported by its own rule.
    both = (controle["code_commune"].notna() & controle["departement"].notna()
            & controle["type"].isin(["commune-actuelle", "arrondissement-municipal"]))
    controle["code_commune:departement"] = (controle["code_commune"].astype(str) + ":"
                                            + controle["departement"].astype(str)).where(both)
    return ReadResult(checks={"communes": controle}, tables={"geo_communes": communes, "geo_passage": passage},
                   geo_millesime=geo)


def read_epci_json(fichier: RecognisedFile) -> ReadResult:
    data, geo = _load(fichier)
    raw = _frame(data)
    epci = pd.DataFrame({"geo_millesime": geo, "code_epci": raw["code"].astype(str), "libelle": raw["nom"],
                         "nature": raw["type"], "nb_communes": raw["membres"].map(len).astype("Int64")})
    members = raw[["code", "membres"]].explode("membres").dropna()
    appartenance = pd.DataFrame({"geo_millesime": geo,
                                 "code_commune": members["membres"].map(
                                     lambda m: str(m["code"]) if isinstance(m, dict) and m.get("code") else None),
                                 "code_epci": members["code"].astype(str)})
    return ReadResult(checks={"epci": epci, "appartenance": appartenance},
                   tables={"geo_epci": epci, "geo_appartenance": appartenance}, geo_millesime=geo)


def read_departements_json(fichier: RecognisedFile) -> ReadResult:
    data, geo = _load(fichier)
    raw = _frame(data)
    deps = pd.DataFrame({"geo_millesime": geo, "code_departement": raw["code"].astype(str), "libelle": raw["nom"],
                         "code_region": raw["region"].astype(str)})
    return ReadResult(checks={"departements": deps}, tables={"geo_departements": deps}, geo_millesime=geo)
