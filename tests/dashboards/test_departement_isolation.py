"""No row of another département ever reaches a comité or analyste account, whatever the endpoint or cache.

Each account opens every dashboard as the browser does: every chart's data request (POST /api/v1/chart/data
with the saved query, or GET /superset/explore_json/ for the deck.gl maps, then each layer of the
multi-layer map with the form data the map's own response gives), and every native filter's values. The
accounts go in turn — administrator first (no filter: it warms every cache with all the rows), then
comité 16, comité 40, analyste 16 and comité 16 again — so a response cached for one user and served to
another would show.

A value is "of another département" when it identifies a row of a département-scoped mart (codes and
names of EPCI and communes, services and their positions, dispositifs, schémas, file names, map contours)
that belongs to some other département (or to none: rows attached to no département are administrators'
only) and never to the account's own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dashboards.http_client import dashboard_requests, response_rows
from tests.dashboards.conftest import SECOND_DEPARTEMENT

pytestmark = pytest.mark.superset

# (mart, columns that identify its rows) for every mart a dashboard dataset reads.
IDENTIFYING = {
    "marts.indicateurs_epci": ["code_epci", "libelle"],
    "marts.indicateurs_commune": ["code_commune", "libelle"],
    "marts.indicateurs_t0": ["code_territoire", "libelle"],
    "marts.besoins_epci": ["code_epci", "libelle"],
    "marts.offre_epci": ["code_epci", "libelle"],
    "marts.ecarts_epci": ["code_epci", "libelle"],
    "marts.geo_epci": ["code_epci", "libelle"],
    "marts.geo_communes": ["code_commune", "libelle"],
    "marts.services_points": ["service_id", "nom"],
    "marts.dispositifs": ["intitule"],
    "marts.schemas_passages": ["titre", "extrait"],
    "marts.provenance": ["fichier"],
    "marts.comparaison_t0": ["code_territoire", "libelle"],
    "marts.carte_comparaison_t0": ["code_epci", "libelle"],
    "marts.pistes": ["argumentaire", "epci_concernes"],
    "marts.pistes_epci": ["code_epci", "libelle"],
    "marts.fiches_actions": ["territoire", "fichier"],
    "marts.suivi_indicateurs": ["fichier"],
}
ACCOUNTS = [("admin", None), ("comite16", "16"), ("comite40", SECOND_DEPARTEMENT), ("analyste16", "16"), ("comite16", "16")]


def _point(value: Any) -> tuple[float, float] | None:
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int | float) for v in value):
        return (round(float(value[0]), 4), round(float(value[1]), 4))
    return None


def _contour_start(text: str) -> tuple[float, float] | None:
    """First point of a polygon ring written as JSON text (the map datasets' contour column)."""
    if not text.startswith("[["):
        return None
    try:
        ring = json.loads(text)
    except ValueError:
        return None
    while isinstance(ring, list) and ring and isinstance(ring[0], list) and _point(ring[0]) is None:
        ring = ring[0]
    return _point(ring[0]) if isinstance(ring, list) and ring else None


def _fingerprints(served_db: Path) -> dict[str | None, set[Any]]:
    """Identifying values per code_departement (None: rows attached to no département)."""
    duckdb = pytest.importorskip("duckdb")
    found: dict[str | None, set[Any]] = {}
    con = duckdb.connect(str(served_db), read_only=True)
    try:
        for table, columns in IDENTIFYING.items():
            for code, *values in con.execute(f"SELECT DISTINCT code_departement, {', '.join(columns)} FROM {table}").fetchall():
                found.setdefault(code, set()).update(v for v in values if isinstance(v, str) and len(v) >= 3)
        for code, lon, lat in con.execute(
            "SELECT code_departement, longitude, latitude FROM marts.services_points WHERE latitude IS NOT NULL"
        ).fetchall():
            found.setdefault(code, set()).add((round(lon, 4), round(lat, 4)))
        for code, geojson in con.execute("SELECT code_departement, geojson FROM marts.geo_epci").fetchall():
            start = _contour_start(json.dumps(json.loads(geojson)["coordinates"]))
            found.setdefault(code, set()).add(start)
    finally:
        con.close()
    return found


def _walk(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """Every (key, leaf) of a JSON response; points and contours as coordinates."""
    if (point := _point(value)) is not None:
        yield key, point
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, key)
    elif isinstance(value, str):
        yield key, value
        if (start := _contour_start(value)) is not None:
            yield key, start


def test_no_row_of_another_departement_on_any_dashboard_endpoint(
    api_for: Any, web_for: Any, served_db: Path, two_departements: dict[str, Any]
) -> None:
    assert two_departements["error"] is None, two_departements["error"]
    fingerprints = _fingerprints(served_db)
    assert fingerprints.get("16") and fingerprints.get(SECOND_DEPARTEMENT), "both départements must hold rows"
    admin = api_for("admin")
    slugs = [d["slug"] for d in admin.ok("/api/v1/dashboard/?q=(page_size:100)")["result"]]
    requests_ = [r for slug in sorted(slugs) for r in dashboard_requests(web_for("admin"), slug)]
    assert any("couche" in r.label for r in requests_), "the multi-layer map's layers are requested"
    leaks: list[str] = []
    own_seen: dict[str, set[Any]] = {}
    for user, code in ACCOUNTS:
        web = web_for(user)
        mine = fingerprints.get(code, set()) if code else set()
        foreign = set().union(*(v for c, v in fingerprints.items() if c != code)) - mine if code else set()
        for request in requests_:
            label = request.label
            response = web.call(request)
            assert response.status_code == 200, f"{user} — {label}: {response.status_code} {response.text[:300]}"
            for key, leaf in _walk(response_rows(response.json())):
                if code is None:
                    continue
                if (key == "code_departement" and leaf not in (code, None)) or leaf in foreign:
                    leaks.append(f"{user} — {label}: {key} = {str(leaf)[:80]}")
                elif leaf in mine:
                    own_seen.setdefault(user, set()).add(leaf)
    assert not leaks, f"{len(leaks)} valeurs d'un autre département :\n" + "\n".join(sorted(set(leaks))[:40])
    _check_pdf_exports(web_for, slugs, fingerprints)
    for user, code in ACCOUNTS[1:]:
        seen = own_seen.get(user, set())
        # the test can fail: each account gets its own département's rows, points of the offer map included
        points = {v for v in seen if isinstance(v, tuple)}
        assert len(seen) > 50 and points, f"{user} ne voit pas les lignes de son département ({len(seen)} valeurs)"
        assert points & {p for p in fingerprints[code] if isinstance(p, tuple)}, user
    print(f"\n{len(requests_)} requêtes par compte ; valeurs propres vues : "
          f"{ {u: len(v) for u, v in own_seen.items()} }")  # fmt: skip


def _squeezed(text: str) -> str:
    return "".join(text.split())


def _check_pdf_exports(web_for: Any, slugs: list[str], fingerprints: dict[str | None, set[Any]]) -> None:
    """The PDF of every dashboard (/pacte/pdf/<slug>) holds the names of the account's département and none of
    another's (names compared without spaces: the PDF wraps long cells)."""
    pypdf = pytest.importorskip("pypdf")
    import io

    for user, code in ACCOUNTS[1:4]:
        mine = {_squeezed(v) for v in fingerprints[code] if isinstance(v, str)}
        foreign = {_squeezed(v) for c, values in fingerprints.items() if c != code for v in values
                   if isinstance(v, str)} - mine
        # long names only, and not part of one of the account's own names (« Saint-Michel » in « Saint-Michel-Escalus »)
        foreign = {v for v in foreign if len(v) >= 8 and not any(v in m for m in mine)}
        for slug in slugs:
            response = web_for(user).get(f"/pacte/pdf/{slug}")
            assert response.status_code == 200 and response.content.startswith(b"%PDF"), (user, slug, response.text[:300])
            text = _squeezed("".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages))
            assert not [v for v in foreign if v in text], f"{user} — PDF {slug} : valeurs d'un autre département"
            assert [v for v in mine if len(v) >= 8 and v in text], f"{user} — PDF {slug} : rien de son département"
        other = "40" if code == "16" else "16"
        refused = web_for(user).get(f"/pacte/pdf/synthese-territoire?departement={other}")
        assert refused.status_code == 403, f"{user} asked for département {other}: {refused.status_code}"
