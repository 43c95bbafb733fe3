"""A browser-like client of the Pacte Superset, and the data requests a dashboard page makes.

Used by the tests (isolation between départements, chart values) and by bench/charge_superset.py: both must
ask exactly what the browser asks — POST /api/v1/chart/data with each chart's saved query, GET
/superset/explore_json/ for the deck.gl maps and, for a multi-layer map, each layer with the form data the
map's response carries, and the values of each native filter.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

import requests

TIMEOUT_S = 120


class WebSession:
    """Logged in through the login form (session cookie + CSRF), as a browser: explore_json takes no JWT."""

    def __init__(self, base: str, username: str, password: str) -> None:
        self.base = base.rstrip("/")
        self.session = requests.Session()
        page = self.session.get(f"{self.base}/login/", timeout=TIMEOUT_S).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', page
        )
        if not token:
            raise RuntimeError(f"jeton CSRF absent du formulaire de connexion de {self.base}")
        resp = self.session.post(f"{self.base}/login/", timeout=TIMEOUT_S,
                                 data={"username": username, "password": password, "csrf_token": token.group(1)})
        if resp.status_code != 200 or "/login" in resp.url:
            raise RuntimeError(f"connexion refusée pour « {username} » ({resp.status_code})")
        csrf = self.session.get(f"{self.base}/api/v1/security/csrf_token/", timeout=TIMEOUT_S)
        csrf.raise_for_status()
        self.session.headers.update({"X-CSRFToken": csrf.json()["result"], "Referer": self.base})

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.base + path, timeout=TIMEOUT_S)

    def post(self, path: str, payload: dict[str, Any]) -> requests.Response:
        return self.session.post(self.base + path, json=payload, timeout=TIMEOUT_S)

    def ok(self, path: str) -> Any:
        resp = self.get(path)
        if resp.status_code != 200:
            raise RuntimeError(f"GET {path} : {resp.status_code} {resp.text[:300]}")
        return resp.json()

    def call(self, request: DataRequest) -> requests.Response:
        return self.get(request.path) if request.method == "GET" else self.post(request.path, request.payload or {})


@dataclass(frozen=True)
class DataRequest:
    label: str  # « slug / chart name », « slug / chart / couche N » or « slug / filtre X »
    kind: str  # chart_data | explore_json | filtre
    method: str
    path: str
    payload: dict[str, Any] | None = None


def _explore_json(form_data: dict[str, Any]) -> str:
    return "/superset/explore_json/?form_data=" + urllib.parse.quote(json.dumps(form_data))


def dashboard_requests(admin: WebSession, slug: str) -> list[DataRequest]:
    """Every data request the dashboard page makes (read with an administrator's session, sent by anyone)."""
    dashboard = admin.ok(f"/api/v1/dashboard/{slug}")["result"]
    found: list[DataRequest] = []
    for chart in admin.ok(f"/api/v1/dashboard/{slug}/charts")["result"]:
        form_data = {**chart["form_data"], "slice_id": chart["id"], "dashboardId": dashboard["id"]}
        label = f"{slug} / {chart['slice_name']}"
        if form_data["viz_type"].startswith("deck_"):
            found.append(DataRequest(label, "explore_json", "GET", _explore_json(form_data)))
            if form_data["viz_type"] == "deck_multi":  # its layers, with the form data its response carries
                response = admin.get(_explore_json(form_data))
                response.raise_for_status()
                for layer in response.json()["data"]["slices"]:
                    layer_form = {**layer["form_data"], "dashboardId": dashboard["id"]}
                    found.append(DataRequest(f"{label} / couche {layer['slice_id']}", "explore_json", "GET",
                                             _explore_json(layer_form)))
        else:
            saved = admin.ok(f"/api/v1/chart/{chart['id']}")["result"]
            query_context = json.loads(saved["query_context"])
            query_context["form_data"] = {**query_context.get("form_data", {}), "slice_id": chart["id"],
                                          "dashboardId": dashboard["id"]}  # fmt: skip
            found.append(DataRequest(label, "chart_data", "POST", "/api/v1/chart/data", query_context))
    for native in json.loads(dashboard["json_metadata"]).get("native_filter_configuration", []):
        for target in native.get("targets", []):
            column = target["column"]["name"]
            found.append(DataRequest(f"{slug} / filtre {native['name']}", "filtre", "POST", "/api/v1/chart/data", {
                "datasource": {"id": target["datasetId"], "type": "table"}, "force": False,
                "queries": [{"columns": [column], "metrics": [], "orderby": [[column, True]], "row_limit": 1000,
                             "filters": [], "extras": {"having": "", "where": ""}}],
                "form_data": {"datasource": f"{target['datasetId']}__table", "viz_type": "filter_select",
                              "groupby": [column], "dashboardId": dashboard["id"], "native_filter_id": native["id"]},
                "result_format": "json", "result_type": "full",
            }))  # fmt: skip
    return found


def response_rows(body: dict[str, Any]) -> Any:
    """The data part of a response: chart data API results, or explore_json's payload."""
    if "result" in body:
        return [result.get("data") for result in body["result"]]
    return body.get("data")
