"""Fixtures for the Superset tests: one Superset server per session, on the real demo output.

`served_db` is a copy of the demo's served file, on which the pipeline is run a
second time for département 40 (it accumulates départements), so RLS can be
checked with two départements. If that second run fails, the copy of the
demo-only file is served and `second_departement` holds the error, which
test_security.py reports as a failure.
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
from typing import Any

import pytest

from tests.conftest import run_cli

REPO = Path(__file__).resolve().parents[2]
MANAGE = REPO / "dashboards" / "manage.py"
SUPERSET_PYTHON = REPO / ".venvs" / "superset" / "bin" / "python"
SECOND_DEPARTEMENT = "40"
# (identifiant, role, départements): one account per role and département.
ACCOUNTS = [
    ("comite16", "comite", ["16"]),
    ("comite40", "comite", ["40"]),
    ("analyste16", "analyste", ["16"]),
]


@pytest.fixture(scope="session")
def two_departements(demo_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo workspace, copied, plus a `pacte run` for département 40 on the demo inbox."""
    ws = tmp_path_factory.mktemp("deux_departements") / "ws"
    shutil.copytree(demo_ws, ws, ignore=shutil.ignore_patterns("build"))
    started = time.monotonic()
    proc = run_cli(
        "run", "--departement", SECOND_DEPARTEMENT, "--inbox", str(demo_ws / "inbox"), "--workspace", str(ws),
        timeout=900,
    )  # fmt: skip
    error = None if proc.returncode == 0 else (proc.stdout[-3000:] + proc.stderr[-3000:])
    return {"ws": ws, "error": error, "seconds": time.monotonic() - started}


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
    """Every chart of the instance (admin view): name -> {id, query_context}."""
    admin = api_for("admin")
    listing = admin.ok("/api/v1/chart/?q=(page_size:100)")["result"]
    charts = {}
    for chart in listing:
        saved = admin.ok(f"/api/v1/chart/{chart['id']}")["result"]
        charts[saved["slice_name"]] = {"id": chart["id"], "query_context": json.loads(saved["query_context"])}
    return charts
