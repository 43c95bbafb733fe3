"""Offer sources: taxonomies, crosswalk seeds, data·inclusion v0/v1, Soliguide, dispositifs, documents."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from expectations.runner import validate
from ingestion.registry import recognise
from ingestion.taxonomies import taxonomie_v0, taxonomie_v1, valeurs
from tests.conftest import REAL, REPO, need_real
from warehouse.cli import main

SEEDS = REPO / "dbt_project" / "seeds"
SCHEMA = REAL / "data_inclusion_schema"


def _seed(name: str) -> list[dict[str, str]]:
    with (SEEDS / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _lecture(path: Path):
    fichier = recognise(path)
    assert fichier is not None, path.name
    lecture = fichier.format.load_reader()(fichier)
    return fichier, lecture, validate(fichier.format.suite, lecture)


def test_taxonomy_sizes_match_published_referentiels() -> None:
    need_real(SCHEMA / "v1" / "extra" / "thematiques.json", SCHEMA / "v0" / "extra" / "thematiques.json")
    for version, loaded, files in (("v1", taxonomie_v1(), {"thematiques": "thematiques", "publics": "publics"}),
                                   ("v0", taxonomie_v0(), {"thematiques": "thematiques", "profils": "profils",
                                                           "typologies_de_structures": "typologies-de-structures"})):
        for taxonomie, fname in files.items():
            published = {e["value"] for e in json.loads((SCHEMA / version / "extra" / f"{fname}.json").read_text())}
            assert set(loaded.loc[loaded.taxonomie == taxonomie, "valeur"]) == published, (version, taxonomie)
    assert len(valeurs("v1", "thematiques")) == 69
    assert len(valeurs("v0", "thematiques")) == 168
    assert len(valeurs("v0", "typologies_de_structures")) == 92


def test_crosswalk_seeds_cover_v0_and_point_to_v1() -> None:
    v1 = valeurs("v1", "thematiques")
    v0v1 = _seed("map_data_inclusion__thematiques_v0_v1.csv")
    assert {r["thematique_v0"] for r in v0v1} == valeurs("v0", "thematiques")
    assert all(r["thematique_v1"] in v1 for r in v0v1)
    mapping = {r["thematique_v0"]: r["thematique_v1"] for r in v0v1}
    assert mapping["mobilite--preparer-un-permis-de-conduire"] == "mobilite--preparer-un-permis"
    assert mapping["famille--garde-denfants"] == "famille--garde-denfants"
    soli = {r["categorie_soliguide"]: r["thematique_v1"] for r in _seed("map_soliguide__thematiques_v1.csv")}
    assert set(soli.values()) <= v1
    assert soli["babysitting"] == "famille--garde-denfants"
    assert soli["french_course"] == "lecture-ecriture-calcul--maitriser-le-francais"
    axes = {r["thematique_v1"]: r["axe"] for r in _seed("ref_thematiques_axes.csv")}
    assert set(axes) == v1
    assert axes["famille--garde-denfants"] == "1" and axes["equipement-et-alimentation--alimentation"] == "4"
    assert {r["thematique"] for r in _seed("ref_mots_cles_axes.csv")} <= v1


def test_data_inclusion_v1_json_and_v0_csv(offre_files: dict[str, Path]) -> None:
    _, lec1, res1 = _lecture(offre_files["data-inclusion_services_v1.json"])
    assert res1.ok, res1.issues
    svc = lec1.tables["di_services"]
    assert lec1.info["version"] == "v1" and len(svc) == 36
    first = svc.iloc[0]
    assert first["service_id"] == "data-inclusion--s001-1" and first["ligne"] == 2  # line of the object
    assert first["code_insee"] == "16015"  # Angoulême, largest commune of the département
    by_point = svc[svc["code_insee"].isna()]
    assert len(by_point) == 12 and by_point["latitude"].between(44.5, 46.5).all()
    assert (svc["modes_accueil"] == "a-distance").sum() == 5
    _, lec0, res0 = _lecture(offre_files["dora_services_v0.csv"])
    assert res0.ok, res0.issues
    svc0 = lec0.tables["di_services"]
    assert lec0.info["version"] == "v0" and len(svc0) == 24
    assert set(svc0["zone_diffusion_type"]) == {"commune", "departement"}
    _, lecs, ress = _lecture(offre_files["dora_structures_v0.csv"])
    assert ress.ok and set(lecs.tables["di_structures"]["typologie"]) <= valeurs("v0", "typologies_de_structures")


def test_soliguide_places(offre_files: dict[str, Path]) -> None:
    _, lec, res = _lecture(offre_files["soliguide_lieux_export.json"])
    assert res.ok, res.issues
    lieux, services = lec.tables["soliguide_lieux"], lec.tables["soliguide_services"]
    assert len(lieux) == 10 and len(services) == 20
    assert lieux.iloc[0]["ville"] == "Angoulême" and lieux.iloc[0]["code_postal"] == "16000"


def test_dispositifs_template_and_round_trip(tmp_path: Path, offre_files: dict[str, Path]) -> None:
    import openpyxl

    path = offre_files["tableau_dispositifs_demo.xlsx"]
    wb = openpyxl.load_workbook(path)
    ws = wb["Dispositifs"]
    assert ws["A1"].value == "Intitulé du dispositif" and ws["L1"].value.startswith("Pistes de développement")
    listes = {str(dv.sqref)[0] for dv in ws.data_validations.dataValidation}
    assert listes == {"B", "D", "F", "G", "H", "I"}  # porteur, financement, axe, thématique, couverture, EPCI
    assert wb["Listes"].sheet_state == "hidden"
    _, lec, res = _lecture(path)
    assert res.ok, res.issues
    table = lec.tables["dispositifs"]
    assert list(table["axe"]) == ["1", "2", "4"]
    assert table.iloc[2]["codes_territoire"].startswith("16001,16002,")


@pytest.mark.parametrize(("cell", "value", "attendu"), [
    ("K3", "Appeler Mme Durand au 05 45 12 34 56", "numéro de téléphone"),
    ("C2", "marie.dupont@gmail.com", "adresse électronique personnelle"),
    ("M4", "Entretien avec Sophie Martin", "nom de personne"),
])
def test_dispositifs_personal_data_refused(tmp_path: Path, offre_files: dict[str, Path], cell: str, value: str,
                                           attendu: str, capsys: pytest.CaptureFixture[str]) -> None:
    import openpyxl

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    target = inbox / "tableau_dispositifs.xlsx"
    wb = openpyxl.load_workbook(offre_files["tableau_dispositifs_demo.xlsx"])
    wb["Dispositifs"][cell] = value
    wb.save(target)
    assert main(["run", "--departement", "16", "--inbox", str(inbox), "--workspace", str(tmp_path / "ws")]) == 2
    out = " ".join(capsys.readouterr().err.split())  # rich wraps long lines
    assert attendu in out and f"lignes {cell[1:]}" in out
    assert not (tmp_path / "ws" / "serving" / "pacte.duckdb").exists()


def test_generic_mailbox_allowed() -> None:
    from ingestion.readers.dispositifs import donnees_personnelles

    assert donnees_personnelles("Écrire à contact@cd16.fr ou accueil.social@mairie.fr") == []
    assert donnees_personnelles("+33 6 12 34 56 78") == ["numéro de téléphone"]


def test_documents_three_formats(offre_files: dict[str, Path]) -> None:
    expected = {"schema_enfance_famille_demo.pdf": ("Schéma départemental enfance-famille", 2023, 3),
                "programme_departemental_insertion_demo.docx": ("Plan départemental d'insertion", 2024, 3),
                "pdalhpd_demo.odt": ("PDALHPD", 2022, 2)}
    for name, (type_schema, debut, pages) in expected.items():
        _, lec, res = _lecture(offre_files[name])
        assert res.ok, res.issues
        reg = lec.tables["documents"].iloc[0]
        assert (reg["type_schema"], reg["periode_debut"], reg["nb_pages"]) == (type_schema, debut, pages), name
    _, lec, _ = _lecture(offre_files["schema_enfance_famille_demo.pdf"])
    assert "parentalité" in lec.tables["documents_pages"].iloc[1]["texte"]


def _bad_files(files: dict[str, Path], d: Path) -> dict[str, tuple[Path, str]]:
    v1 = files["data-inclusion_services_v1.json"]
    v1_text = v1.read_text(encoding="utf-8")
    v0 = files["dora_services_v0.csv"].read_text(encoding="utf-8")
    records = json.loads(v1_text)
    cases: dict[str, tuple[str, bytes, str]] = {
        "latin1": ("dora_services_v0.csv", v0.replace("Angoulême", "Angoulême").encode("latin-1", "replace"),
                   "encodage non UTF-8"),
        "require_columns": ("dora_services_v0.csv", v0.replace("structure_id", "id_structure", 1).encode(),
                            "colonne(s) obligatoire(s)"),
        "doublon": ("data-inclusion_services_v1.json",
                    json.dumps(records + [records[0]], ensure_ascii=False, indent=2).encode(), "code en double"),
        "hors_bornes": ("data-inclusion_services_v1.json", json.dumps(
            [{**r, "latitude": 48.0 + 40, "longitude": 2.0} if i == 1 else r for i, r in enumerate(records)],
            ensure_ascii=False, indent=2).encode(), "valeur hors de l'intervalle"),
        "thematique_inconnue": ("data-inclusion_services_v1.json", json.dumps(
            [{**r, "thematiques": ["logement--inconnu"]} if i == 2 else r for i, r in enumerate(records)],
            ensure_ascii=False, indent=2).encode(), "logement--inconnu"),
        "code_invalide": ("data-inclusion_services_v1.json", json.dumps(
            [{**r, "code_insee": "1601"} if i == 0 else r for i, r in enumerate(records)],
            ensure_ascii=False, indent=2).encode(), "code_insee"),
        "tronque": ("data-inclusion_services_v1.json", v1_text[: len(v1_text) // 2].encode(), "JSON invalide"),
        "vide": ("data-inclusion_services_v1.json", b"", "le fichier est vide"),
        "csv_tronque": ("dora_services_v0.csv", "\n".join(v0.splitlines()[:3] + ['"dora","x"']).encode(),
                        "nombre de champs"),
        "soliguide_categorie": ("soliguide_lieux_export.json",
                                files["soliguide_lieux_export.json"].read_text(encoding="utf-8")
                                .replace('"category": "', '"category": "zz_', 1).encode(), "zz_"),
        "pdf_tronque": ("schema.pdf", files["schema_enfance_famille_demo.pdf"].read_bytes()[:300], "PDF illisible"),
        "docx_faux": ("schema.docx", b"pas un document word", "archive ZIP attendue"),
    }
    out = {}
    for case, (name, data, message) in cases.items():
        folder = d / case
        folder.mkdir(parents=True)
        (folder / name).write_bytes(data)
        out[case] = (folder, message)
    return out


def test_bad_file_corpus_refused(tmp_path: Path, offre_files: dict[str, Path],
                                 capsys: pytest.CaptureFixture[str]) -> None:
    for case, (inbox, message) in _bad_files(offre_files, tmp_path / "corpus").items():
        ws = tmp_path / "ws" / case
        code = main(["run", "--departement", "16", "--inbox", str(inbox), "--workspace", str(ws)])
        err = " ".join(capsys.readouterr().err.split())  # rich wraps long lines
        assert code == 2, (case, err)
        assert message in err, (case, err)
        assert "Fichier refusé" in err and "Rien n'a été chargé" in err
        assert not (ws / "serving" / "pacte.duckdb").exists()
        assert not any((ws / "landing").rglob("*.parquet")), case
    shutil.rmtree(tmp_path / "ws", ignore_errors=True)
