"""Request hooks of the Pacte Superset (installed by superset_config.FLASK_APP_MUTATOR).

* **No data response shared between users.** Superset's legacy `/superset/explore_json/` (the deck.gl
  maps) wraps its view in `etag_cache`, which stores the whole HTTP response under a key built from the
  URL only: the next user asking the same URL got the first user's rows, whatever their row-level
  filters, without even a permission check. superset_config.py therefore gives Superset's response
  cache a NullCache; what stays cached is the query-result cache, whose key holds the RLS clauses of the
  user (`security_manager.get_rls_cache_key`). Here, every response that may hold rows is also marked
  `private, no-store`, so that no proxy between Superset and the browsers keeps it either.
* **A response cache that is safe per user**: whole data responses are kept under a key made of the request,
  the account's roles (which decide its permissions and its département row filters) and the served file's
  identity; a served response skips Superset's per-request work (permissions, query context, serialisation).
* **A clean French refusal** for comité accounts: an `explore_json` request that is not a saved chart's
  (unknown slice, other viz type, other dataset) is refused with 403 before Superset builds the chart
  (an unknown viz type made it answer 500); pages they may not open (/sqllab/, /explore/…) get a French
  HTML page instead of Superset's raw English JSON.
* **French before login**: the language pack is needed by the login page, where there is no session yet.
* **A clean PDF of a dashboard** (`/pacte/pdf/<slug>`, linked from each dashboard): every chart and every
  table row of the account's own département(s), rendered from the spec (dashboards/pdf_export.py) and
  cached per published version.
* The transparent base-map tile of the offline maps.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
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
        return Response(page, status=status, mimetype="text/html", headers={"X-Pacte-Page": "1"})
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


app_logger = logging.getLogger("pacte.pdf")
DEPARTEMENT_ROLE = re.compile(r"^departement_(\w{2,3})$")
_PDF_LOCK = threading.Lock()  # one rendering at a time per worker: it is CPU-bound


def _served_file() -> Path | None:
    from sqlalchemy.engine.url import make_url
    from superset import db
    from superset.models.core import Database

    database = db.session.query(Database).filter_by(database_name="pacte").one_or_none()
    path = make_url(database.sqlalchemy_uri).database if database else None
    return Path(path) if path and Path(path).exists() else None


def _choice_page(slug: str, codes: list[str]) -> Any:
    from flask import Response

    links = "".join(f'<li><a href="/pacte/pdf/{escape(slug)}?departement={escape(c)}">Département {escape(c)}</a></li>'
                    for c in codes)
    page = REFUS_PAGE.format(titre="Choisir le département", message="Le document PDF porte sur un département :")
    return Response(page.replace("</p>\n<p><a", f"</p><ul>{links}</ul>\n<p><a", 1), mimetype="text/html")


def dashboard_pdf_response(slug: str) -> Any:
    """The dashboard as a PDF for the logged-in account: its départements only (an administrator chooses)."""
    import pdf_export
    from flask import g, redirect, request, send_file
    from superset import security_manager

    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return redirect(f"/login/?next=/pacte/pdf/{slug}")
    if not security_manager.can_access("can_read", "Dashboard"):
        return error_response(403)
    served = _served_file()
    if served is None:
        return error_response(404, "Aucun entrepôt publié : le document ne peut pas encore être produit.")
    own = sorted({m.group(1) for role in user.roles if (m := DEPARTEMENT_ROLE.match(role.name))})
    asked = request.args.getlist("departement")
    if security_manager.is_admin():
        if not asked:
            import duckdb

            with duckdb.connect(str(served), read_only=True) as con:
                codes = [r[0] for r in con.execute("SELECT DISTINCT code_departement FROM marts.indicateurs_t0 "
                                                   "WHERE niveau = 'departement' ORDER BY 1").fetchall()]
            return _choice_page(slug, codes)
        departements = sorted(set(asked))
    else:
        departements = sorted(set(asked) & set(own)) if asked else own
        if asked and set(asked) - set(own):
            return error_response(403, "Ce document ne peut porter que sur le ou les départements de votre compte.")
    if not departements or any(not re.fullmatch(r"\w{2,3}", d) for d in departements):
        return error_response(403, "Votre compte n'est rattaché à aucun département : aucun document à produire.")
    stat = served.stat()
    home = Path(os.environ.get("PACTE_SUPERSET_HOME") or served.parent)
    target = home / "pdf" / f"{stat.st_ino}-{stat.st_mtime_ns}" / "-".join(departements) / f"{slug}.pdf"
    try:
        with _PDF_LOCK:
            if not target.exists():
                pdf_export.dashboard_pdf(served, slug, departements, target)
    except pdf_export.ExportError as exc:
        return error_response(404, f"Document impossible à produire : {exc}.")
    except Exception:  # noqa: BLE001 - logged; the user gets a French page, not a traceback
        app_logger.exception("PDF du tableau de bord %s (%s)", slug, departements)
        return error_response(500, "Le document PDF n'a pas pu être produit ; l'erreur est consignée dans le journal "
                                   "de Superset.")
    return send_file(target, mimetype="application/pdf", as_attachment=True,
                     download_name=f"{slug}_{'-'.join(departements)}.pdf", max_age=0)


# --------------------------------------------------------------------------- response cache

# Data responses kept whole, keyed by what decides them: the request (path, query string, body), the
# account's roles (they decide permissions and the département row filters: two accounts with the same
# roles get the same rows) and the served file's identity (a publication changes every key). Only 200s are
# kept: a refusal goes through the security checks every time. Superset's own response cache, keyed by URL
# only, stays off (superset_config.py).
CACHED_ENDPOINTS = {("GET", "/superset/explore_json/"), ("POST", "/api/v1/chart/data")}
RESPONSE_TIMEOUT_S = 3600


def _served_identity() -> str | None:
    served = _served_file()
    if served is None:
        return None
    stat = served.stat()
    return f"{stat.st_ino}-{stat.st_mtime_ns}"


def response_cache_key(request: Any, user: Any) -> str | None:
    """Cache key of a data request, or None when it must not be cached (forced refresh, export, anonymous)."""
    import hashlib

    if (request.method, request.path) not in CACHED_ENDPOINTS or not getattr(user, "is_authenticated", False):
        return None
    body = request.get_data(cache=True) or b""
    if request.args.get("force") == "true" or any(request.args.get(f) == "true" for f in ("csv", "xlsx", "query")):
        return None
    if body:
        try:
            payload = json.loads(body)
        except ValueError:
            return None
        if payload.get("force") or payload.get("result_format", "json") != "json":
            return None
    served = _served_identity()
    if served is None:
        return None
    roles = ",".join(sorted(role.name for role in user.roles))
    digest = hashlib.sha256(b"\0".join([request.method.encode(), request.full_path.encode(), body,
                                         roles.encode(), served.encode()])).hexdigest()
    return f"pacte_reponse_{digest}"


def install(app: Any, blank_tile_path: str, blank_tile: bytes) -> None:
    """Register the hooks and routes on Superset's Flask app."""
    from flask import Response, request, send_file
    from pacte_security import ACCES_LIMITE
    from werkzeug.exceptions import Forbidden

    @app.route(blank_tile_path)
    def pacte_tuile_vide() -> Response:
        return Response(blank_tile, mimetype="image/png", headers={"Cache-Control": "public, max-age=86400"})

    @app.route("/pacte/pdf/<slug>")
    def pacte_pdf(slug: str) -> Any:
        return dashboard_pdf_response(slug)

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

    @app.before_request
    def pacte_cached_response() -> Any:
        from flask import g
        from flask_login import current_user
        from superset.extensions import cache_manager

        key = response_cache_key(request, current_user)
        if key is None:
            return None
        g.pacte_cache_key = key
        body = cache_manager.data_cache.get(key)
        if body is None:
            return None
        return Response(body, status=200, mimetype="application/json", headers={"X-Pacte-Cache": "hit"})

    @app.after_request
    def pacte_store_response(response: Response) -> Response:
        from flask import g
        from superset.extensions import cache_manager

        key = g.pop("pacte_cache_key", None)
        if key and response.status_code == 200 and response.mimetype == "application/json" \
                and "X-Pacte-Cache" not in response.headers:
            cache_manager.data_cache.set(key, response.get_data(), timeout=RESPONSE_TIMEOUT_S)
        return response

    @app.after_request
    def pacte_private_data(response: Response) -> Response:
        if request.path.startswith(DATA_PATH_PREFIXES):
            response.cache_control.public = False
            response.cache_control.private = True
            response.cache_control.no_store = True
            response.cache_control.max_age = 0
            response.expires = None
        return response

    @app.errorhandler(Forbidden)
    def pacte_forbidden(_error: Exception) -> Any:
        return error_response(403) if _wants_html(request) else _json_error(403, MESSAGES[403][1])

    @app.after_request
    def pacte_french_error_pages(response: Response) -> Response:
        # Superset registers its 404/500 handlers after FLASK_APP_MUTATOR runs (they serve English static
        # pages to browsers): its HTML error pages are replaced here, its JSON errors for the frontend kept.
        if (response.status_code in (404, 500) and response.mimetype == "text/html" and _wants_html(request)
                and "X-Pacte-Page" not in response.headers):
            return error_response(response.status_code)
        return response
