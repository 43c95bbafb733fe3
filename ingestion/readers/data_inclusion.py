"""data·inclusion / DORA exports of structures and services, schema v0 or v1, JSON array or CSV.

CSV list cells are accepted as JSON lists (`["a","b"]`, what the data·inclusion API/pandas exports
produce), Postgres arrays (`{a,b}`, dumps of the data·inclusion warehouse) or `|`-separated text.
The schema version is detected from the columns (v0: `profils`, `typologie`, `zone_diffusion_*`;
v1: `publics`, `zone_eligibilite`, `reseaux_porteurs`).
"""

from __future__ import annotations

import pandas as pd

from ingestion.errors import InvalidFile, Issue
from ingestion.positions import COLONNE as POSITION
from ingestion.positions import departement_de_code_postal, departement_de_commune, verdict
from ingestion.readers.common import ReadResult
from ingestion.readers.records import (
    as_list,
    explode,
    number_or_none,
    read_csv_records,
    read_json_records,
    text_or_none,
)
from ingestion.registry import RecognisedFile

MARQUEURS = {
    "services": {"v0": {"profils", "zone_diffusion_type", "zone_diffusion_code", "types",
                        "modes_orientation_beneficiaire"},
                 "v1": {"publics", "zone_eligibilite", "modes_mobilisation", "mobilisable_par", "type"}},
    "structures": {"v0": {"typologie", "labels_nationaux", "presentation_resume", "horaires_ouverture"},
                   "v1": {"reseaux_porteurs", "description", "horaires_accueil", "accessibilite_lieu"}},
}
REQUIS = {("services", "v0"): ["id", "structure_id", "source", "nom", "date_maj"],
          ("services", "v1"): ["source", "structure_id", "id", "nom", "description", "date_maj"],
          ("structures", "v0"): ["id", "nom", "source", "date_maj"],
          ("structures", "v1"): ["source", "id", "nom", "date_maj"]}
LISTES = ("thematiques", "profils", "publics", "modes_accueil", "zone_eligibilite", "reseaux_porteurs",
          "labels_nationaux")


def _records(fichier: RecognisedFile) -> pd.DataFrame:
    path = fichier.path
    return read_json_records(path) if path.suffix.lower() == ".json" else read_csv_records(path)


def schema_version(entite: str, columns: set[str], nom_fichier: str) -> str:
    v0 = columns & MARQUEURS[entite]["v0"]
    v1 = columns & MARQUEURS[entite]["v1"]
    if v0 and v1:
        raise InvalidFile(nom_fichier, [Issue(
            regle=("colonnes des schémas v0 et v1 mélangées : "
                   f"v0 ({', '.join(sorted(v0))}) et v1 ({', '.join(sorted(v1))})"))])
    if not (v0 or v1):
        attendu = ", ".join(sorted(MARQUEURS[entite]["v0"] | MARQUEURS[entite]["v1"]))
        raise InvalidFile(nom_fichier, [Issue(
            regle=f"version du schéma data·inclusion indéterminée (aucune des colonnes {attendu})")])
    return "v0" if v0 else "v1"


def _column(raw: pd.DataFrame, name: str) -> pd.Series:
    return raw[name] if name in raw else pd.Series([None] * len(raw), index=raw.index, dtype=object)


def _common(raw: pd.DataFrame) -> dict[str, pd.Series]:
    text = {c: _column(raw, c).map(text_or_none) for c in ("id", "source", "nom", "date_maj", "code_insee",
                                                          "code_postal", "commune", "adresse", "siret")}
    for c in ("latitude", "longitude"):
        text[f"{c}_brute"] = _column(raw, c).map(text_or_none).astype(object)
        text[c] = _column(raw, c).map(number_or_none).astype(float)
    return text


def _positions(base: dict[str, pd.Series], localisable: pd.Series) -> list[str]:
    """Plausibility of each record's point (ingestion.positions): swapped, outside France or outside the
    département of its commune (or postal) code, or missing when nothing else places the record."""
    def coordonnee(brute: object, valeur: float) -> float | None:
        return None if brute is None or pd.isna(brute) else valeur

    departement = [departement_de_commune(c) or departement_de_code_postal(p)
                   for c, p in zip(base["code_insee"], base["code_postal"], strict=True)]
    return [verdict(coordonnee(lb, la), coordonnee(ob, lo), d, bool(ok))
            for lb, la, ob, lo, d, ok in zip(base["latitude_brute"], base["latitude"], base["longitude_brute"],
                                             base["longitude"], departement, localisable, strict=True)]


def _lecture(fichier: RecognisedFile, entite: str) -> ReadResult:
    raw = _records(fichier)
    version = schema_version(entite, set(raw.columns), fichier.path.name)
    manquantes = [c for c in REQUIS[(entite, version)] if c not in raw.columns]
    if manquantes:
        raise InvalidFile(fichier.path.name, [Issue(
            regle=f"colonne(s) obligatoire(s) du schéma data·inclusion {version} absente(s)",
            colonne=", ".join(manquantes))])
    base = _common(raw)
    listes = {c: _column(raw, c).map(as_list) for c in LISTES}
    controle = pd.DataFrame({c: base[c] for c in ("id", "source", "nom", "date_maj", "code_insee", "code_postal",
                                                  "latitude_brute", "longitude_brute")}, index=raw.index)
    controle["latitude"] = base["latitude"]
    controle["longitude"] = base["longitude"]
    for c in REQUIS[(entite, version)]:
        if c not in controle:
            controle[c] = _column(raw, c).map(text_or_none)
    a_distance = listes["modes_accueil"].map(lambda m: "a-distance" in m and "en-presentiel" not in m)
    controle[POSITION] = _positions(base, localisable=base["code_insee"].notna() | a_distance)
    present = set(raw.columns)
    controles: dict[str, pd.DataFrame] = {"enregistrements": controle}
    controles["thematiques"] = explode(raw, "thematique", listes["thematiques"])
    joined = {c: listes[c].map("|".join) for c in LISTES}
    table = pd.DataFrame({
        "schema_version": version, "source": base["source"], "nom": base["nom"], "date_maj": base["date_maj"],
        "code_insee": base["code_insee"], "code_postal": base["code_postal"], "commune": base["commune"],
        "adresse": base["adresse"], "latitude": base["latitude"], "longitude": base["longitude"],
        "thematiques": joined["thematiques"], "ligne": raw.index.astype("int64"),
    }, index=raw.index)
    if entite == "services":
        controle["structure_id"] = _column(raw, "structure_id").map(text_or_none)
        publics = listes["profils"] if version == "v0" else listes["publics"]
        controles["publics"] = explode(raw, "public", publics)
        controles["modes_accueil"] = explode(raw, "mode_accueil", listes["modes_accueil"])
        zone = listes["zone_eligibilite"] if version == "v1" else _column(raw, "zone_diffusion_code").map(
            lambda v: [text_or_none(v)] if text_or_none(v) else [])
        controles["zones"] = explode(raw, "code_zone", zone)
        table.insert(0, "service_id", base["id"])
        table.insert(1, "structure_id", controle["structure_id"])
        table["publics"] = publics.map("|".join)
        table["modes_accueil"] = joined["modes_accueil"]
        table["zone_eligibilite"] = zone.map("|".join)
        table["zone_diffusion_type"] = _column(raw, "zone_diffusion_type").map(text_or_none)
        table["description"] = _column(raw, "description" if version == "v1" else "presentation_resume").map(
            text_or_none)
        name = "di_services"
    else:
        table.insert(0, "structure_id", base["id"])
        table["siret"] = base["siret"]
        table["typologie"] = _column(raw, "typologie").map(text_or_none)
        table["reseaux_porteurs"] = joined["reseaux_porteurs"] if version == "v1" else joined["labels_nationaux"]
        typologie = table["typologie"].dropna()
        controles["typologies"] = pd.DataFrame({"typologie": typologie}, index=typologie.index)
        name = "di_structures"
    dates = pd.to_datetime(base["date_maj"].str[:10], errors="coerce", format="%Y-%m-%d")
    millesime = int(dates.max().year) if dates.notna().any() else None
    return ReadResult(checks=controles, tables={name: table}, millesime=millesime,
                   info={"entite": entite, "version": version, "requis": REQUIS[(entite, version)],
                          "colonnes": sorted(present)})


def read_structures(fichier: RecognisedFile) -> ReadResult:
    return _lecture(fichier, "structures")


def read_services(fichier: RecognisedFile) -> ReadResult:
    return _lecture(fichier, "services")
