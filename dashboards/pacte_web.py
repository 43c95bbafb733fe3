"""Request hooks of the Pacte Superset (installed by superset_config.FLASK_APP_MUTATOR).

* **No data response shared between users.** Superset's legacy `/superset/explore_json/` (the deck.gl
  maps) wraps its view in `etag_cache`, which stores the whole HTTP response under a key built from the
  URL only: the next user asking the same URL got the first user's rows, whatever their row-level
  filters, without even a permission check. superset_config.py therefore gives Superset's response
  cache a NullCache; what stays cached is the query-result cache, whose key holds the RLS clauses of the
  user (`security_manager.get_rls_cache_key`). Here, every response that may hold rows is also marked
  `private, no-store`, so that no proxy between Superset and the browsers keeps it either.
* **A clean French refusal** for comité accounts: an `explore_json` request that is not a saved chart's
  (unknown slice, other viz type, other dataset) is refused with 403 before Superset builds the chart
  (an unknown viz type made it answer 500); pages they may not open (/sqllab/, /explore/…) get a French
  HTML page instead of Superset's raw English JSON.
* **French before login**: the language pack is needed by the login page, where there is no session yet.
* The transparent base-map tile of the offline maps.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

# Endpoints whose responses hold rows of the warehouse (or could): never stored by a shared cache.
DATA_PATH_PREFIXES = (
    "/superset/explore_json",
    "/api/v1/chart/",
    "/api/v1/dataset/",
    "/datasource/",
    "/api/v1/sqllab/",
    "/superset/csv",
    "/api/v1/explore/",
    "/pacte/",
)
LANGUAGE_PACK_PATH = "/superset/language_pack/fr/"
REFUS_PAGE = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{titre} — Pacte, diagnostic territorial</title>
<style>body{{font-family:Inter,Helvetica,Arial,sans-serif;margin:4rem auto;max-width:40rem;color:#1f2937}}
h1{{font-size:1.5rem}}a{{color:#1d4ed8}}</style></head>
<body><h1>{titre}</h1><p>{message}</p>
<p><a href="/dashboard/list/">Revenir aux tableaux de bord</a> · <a href="/logout/">Se déconnecter</a></p>
</body></html>"""
MESSAGES = {
    403: ("Accès non autorisé", "Votre compte ne donne pas accès à cette page. Les membres des comités de suivi "
                                "consultent les tableaux de bord du diagnostic ; l'exploration des données et "
                                "SQL Lab sont réservés aux analystes."),
    404: ("Page introuvable", "Cette adresse ne correspond à aucune page de l'entrepôt du diagnostic."),
    500: ("Erreur du serveur", "Une erreur inattendue s'est produite. Réessayez ; si elle persiste, "
                               "signalez-la à l'administrateur en indiquant l'heure."),
}


def _wants_html(request: Any) -> bool:
    """A page opened by a browser, not a call of the frontend or of an API client."""
    if request.path.startswith("/api/") or request.is_json:
        return False
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "text/html" and "text/html" in request.accept_mimetypes


def _json_error(status: int, message: str) -> Any:
    from flask import Response

    body = {"errors": [{"message": message, "error_type": "DATASOURCE_SECURITY_ACCESS_ERROR" if status == 403
                        else "GENERIC_BACKEND_ERROR", "level": "error", "extra": {}}], "message": message}
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


def error_response(status: int, message: str | None = None) -> Any:
    """A French error: an HTML page for a browser, Superset's JSON error shape for the frontend."""
    from flask import Response, request

    titre, default = MESSAGES.get(status, MESSAGES[500])
    text = message or default
    if _wants_html(request):
        page = REFUS_PAGE.format(titre=escape(titre), message=escape(text))
        return Response(page, status=status, mimetype="text/html")
    return _json_error(status, text)


def _explore_json_refusal(request: Any) -> str | None:
    """Why a comité's explore_json request is not a saved chart's (None: let Superset and the guard decide)."""
    from superset import db
    from superset.models.slice import Slice

    raw = request.args.get("form_data") or request.form.get("form_data")
    try:
        form_data = json.loads(raw) if raw else {}
    except ValueError:
        return "requête illisible"
    if not isinstance(form_data, dict):
        return "requête illisible"
    slice_id = form_data.get("slice_id")
    chart = db.session.get(Slice, slice_id) if isinstance(slice_id, int) else None
    if chart is None:
        return "requête sans graphique enregistré"
    if form_data.get("viz_type", chart.viz_type) != chart.viz_type:
        return "type de graphique différent du graphique enregistré"
    datasource = str(form_data.get("datasource") or "")
    if datasource and datasource != f"{chart.datasource_id}__{chart.datasource_type}":
        return "jeu de données différent de celui du graphique"
    return None


def install(app: Any, blank_tile_path: str, blank_tile: bytes) -> None:
    """Register the hooks and routes on Superset's Flask app."""
    from flask import Response, request, send_file
    from pacte_security import ACCES_LIMITE
    from werkzeug.exceptions import Forbidden, HTTPException, InternalServerError, NotFound

    @app.route(blank_tile_path)
    def pacte_tuile_vide() -> Response:
        return Response(blank_tile, mimetype="image/png", headers={"Cache-Control": "public, max-age=86400"})

    @app.before_request
    def pacte_before_request() -> Any:
        if request.path == LANGUAGE_PACK_PATH:
            # The French translations of the frontend, needed from the login page on (no session yet).
            import superset

            pack = Path(superset.__file__).parent / "translations" / "fr" / "LC_MESSAGES" / "messages.json"
            return send_file(pack, mimetype="application/json", max_age=3600)
        if request.path.startswith("/superset/explore_json"):
            from superset import security_manager

            if getattr(security_manager, "limited_to_dashboards", None) and security_manager.limited_to_dashboards():
                if reason := _explore_json_refusal(request):
                    return _json_error(403, ACCES_LIMITE.format(reason))
        return None

    @app.after_request
    def pacte_private_data(response: Response) -> Response:
        if request.path.startswith(DATA_PATH_PREFIXES):
            response.cache_control.public = False
            response.cache_control.private = True
            response.cache_control.no_store = True
            response.cache_control.max_age = 0
            response.expires = None
        return response

    def french_error(status: int) -> Any:
        def handler(error: Exception) -> Any:
            if _wants_html(request):
                return error_response(status)
            if status == 403:
                return _json_error(403, MESSAGES[403][1])
            # API calls keep Superset's own JSON error (its handler for every HTTPException).
            superset_handler = app.error_handler_spec.get(None, {}).get(None, {}).get(HTTPException)
            return superset_handler(error) if superset_handler else error_response(status)

        return handler

    for status, exc in ((403, Forbidden), (404, NotFound), (500, InternalServerError)):
        app.register_error_handler(exc, french_error(status))
