"""Load of the comités' dashboards on a running Superset: N comité members open every dashboard, R times.

Run it on the demo (after `make demo`) with the Superset venv::

    .venvs/superset/bin/python bench/charge_superset.py [--utilisateurs 20] [--passages 3]

Each simulated member logs in through the login form, then for each dashboard (in a random order) sends
exactly the data requests the page makes (dashboards/http_client.py), four at a time like a browser, and
reads it for `--pause` seconds (± 50 %) before the next one (0: back to back, the saturation case). Half
of the members belong to département 16, half to 40 (accounts `charge_comite16` / `charge_comite40`,
created once with manage.py). Bounded: members × passages × requests per pass. Prints p50 / p95 / max per
kind of request and per dashboard opening, requests per second and errors; `--json F` writes them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dashboards.http_client import DataRequest, WebSession, dashboard_requests  # noqa: E402

DEMO_ENV = REPO / ".superset" / "demo.env"
ACCOUNTS = {"16": "charge_comite16", "40": "charge_comite40"}
BROWSER_PARALLEL = 4


def _env() -> dict[str, str]:
    env = dict(os.environ)
    if DEMO_ENV.exists():
        for line in DEMO_ENV.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("=")
            env.setdefault(key.strip(), value.strip())
    env.setdefault("PACTE_SUPERSET_HOME", str(REPO / ".superset"))
    return env


def _ensure_accounts(env: dict[str, str]) -> str:
    """The two comité accounts of the bench, (re)set with one password for this run."""
    password = secrets.token_urlsafe(16)
    for departement, account in ACCOUNTS.items():
        proc = subprocess.run(
            [sys.executable, str(REPO / "dashboards" / "manage.py"), "utilisateur", "--identifiant", account,
             "--role", "comite", "--departement", departement, "--mot-de-passe-env", "PACTE_CHARGE_MDP"],
            env={**env, "PACTE_CHARGE_MDP": password}, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            sys.exit(f"Impossible de créer le compte {account} : {proc.stdout[-500:]}{proc.stderr[-500:]}")
    return password


def _quantiles(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
    return {"n": len(values), "p50_ms": round(statistics.median(values), 1), "p95_ms": round(p95, 1),
            "max_ms": round(values[-1], 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Charge des tableaux de bord des comités (Superset en marche).")
    parser.add_argument("--url", default=os.environ.get("PACTE_SUPERSET_URL", "http://127.0.0.1:8088"))
    parser.add_argument("--utilisateurs", type=int, default=20)
    parser.add_argument("--passages", type=int, default=3, help="ouvertures de chaque tableau de bord par membre")
    parser.add_argument("--pause", type=float, default=0.0,
                        help="secondes de lecture entre deux tableaux de bord (0 : enchaînés, charge maximale)")
    parser.add_argument("--graine", type=int, default=7)
    parser.add_argument("--json", type=Path, help="écrit les mesures dans ce fichier")
    args = parser.parse_args(argv)
    env = _env()
    if not env.get("PACTE_SUPERSET_ADMIN_PASSWORD"):
        sys.exit("PACTE_SUPERSET_ADMIN_PASSWORD absent (lancez d'abord « make demo », ou exportez-le).")
    password = _ensure_accounts(env)
    admin = WebSession(args.url, "admin", env["PACTE_SUPERSET_ADMIN_PASSWORD"])
    slugs = sorted(d["slug"] for d in admin.ok("/api/v1/dashboard/?q=(page_size:100)")["result"])
    pages = {slug: dashboard_requests(admin, slug) for slug in slugs}
    members = [WebSession(args.url, ACCOUNTS["16" if i % 2 == 0 else "40"], password) for i in range(args.utilisateurs)]

    latencies: dict[str, list[float]] = defaultdict(list)
    openings: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    lock = threading.Lock()

    def send(member: WebSession, request: DataRequest) -> None:
        started = time.perf_counter()
        try:
            response = member.call(request)
            failed = None if response.status_code == 200 else f"{response.status_code} {request.label}"
        except Exception as exc:  # noqa: BLE001 - a failed request is counted, the run goes on
            failed = f"{type(exc).__name__} {request.label}"
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            latencies[request.kind].append(elapsed)
            if failed:
                errors.append(failed)

    def visit(index: int) -> None:
        member = members[index]
        rng = random.Random(args.graine + index)
        with ThreadPoolExecutor(BROWSER_PARALLEL) as browser:
            for _ in range(args.passages):
                for slug in rng.sample(slugs, len(slugs)):
                    started = time.perf_counter()
                    list(browser.map(lambda r: send(member, r), pages[slug]))
                    with lock:
                        openings[slug].append((time.perf_counter() - started) * 1000)
                    if args.pause:
                        time.sleep(rng.uniform(0.5, 1.5) * args.pause)

    started = time.perf_counter()
    with ThreadPoolExecutor(args.utilisateurs) as pool:
        list(pool.map(visit, range(args.utilisateurs)))
    duration = time.perf_counter() - started
    total = sum(len(v) for v in latencies.values())
    every = [x for v in latencies.values() for x in v]
    report = {
        "url": args.url, "utilisateurs": args.utilisateurs, "passages": args.passages, "pause_s": args.pause,
        "requetes": total, "duree_s": round(duration, 1), "requetes_par_s": round(total / duration, 1),
        "erreurs": len(errors), "toutes": _quantiles(every),
        "par_type": {kind: _quantiles(v) for kind, v in sorted(latencies.items())},
        "ouverture_tableau_de_bord": {slug: _quantiles(v) for slug, v in sorted(openings.items())},
    }  # fmt: skip
    print(f"{args.utilisateurs} membres de comité × {args.passages} passages × {len(slugs)} tableaux de bord "
          f"(lecture {args.pause:g} s entre deux tableaux) : "
          f"{total} requêtes en {duration:.1f} s ({report['requetes_par_s']} req/s), {len(errors)} erreur(s)")
    print(f"  toutes les requêtes : p50 {report['toutes']['p50_ms']} ms, p95 {report['toutes']['p95_ms']} ms, "
          f"max {report['toutes']['max_ms']} ms")
    for kind, q in report["par_type"].items():
        print(f"  {kind:13s} n={q['n']:5d}  p50 {q['p50_ms']:7.1f}  p95 {q['p95_ms']:7.1f}  max {q['max_ms']:7.1f} ms")
    for slug, q in report["ouverture_tableau_de_bord"].items():
        print(f"  ouverture {slug:22s} p50 {q['p50_ms']:7.1f}  p95 {q['p95_ms']:7.1f}  max {q['max_ms']:7.1f} ms")
    for line in sorted(set(errors))[:10]:
        print(f"  erreur : {line}")
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
