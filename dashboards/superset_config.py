"""Superset 6.1 configuration for the Pacte diagnostic dashboards.

Loaded through SUPERSET_CONFIG_PATH (dashboards/manage.py sets it). Everything
is local: metadata in SQLite under PACTE_SUPERSET_HOME, in-process caches, no
Redis, no Celery, no Mapbox, no outbound calls from the browser.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from superset.utils.log import AbstractEventLogger

_REPO = Path(__file__).resolve().parent.parent
PACTE_SUPERSET_HOME = Path(os.environ.get("PACTE_SUPERSET_HOME") or _REPO / ".superset").resolve()
PACTE_SUPERSET_HOME.mkdir(parents=True, exist_ok=True)

# --- Secret key: required, never a known default -------------------------------
_KNOWN_DEFAULT_KEYS = {
    "CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET",  # superset.constants.CHANGE_ME_SECRET_KEY
    "\2\1thisismyscretkey\1\2\\e\\y\\y\\h",  # Superset < 2.1 default
    "thisISaSECRET_1234",
    "TEST_NON_DEV_SECRET",
    "YOUR_OWN_RANDOM_GENERATED_SECRET_KEY",
    "changeme",
    "change_me",
    "secret",
    "superset",
    "admin",
}
SECRET_KEY = os.environ.get("SUPERSET_SECRET_KEY", "").strip()
if not SECRET_KEY:
    raise RuntimeError(
        "SUPERSET_SECRET_KEY est absente : Superset refuse de démarrer. "
        'Générez une clé, par exemple : export SUPERSET_SECRET_KEY="$(openssl rand -base64 42)"'
    )
if SECRET_KEY in _KNOWN_DEFAULT_KEYS or SECRET_KEY.lower() in _KNOWN_DEFAULT_KEYS:
    raise RuntimeError(
        "SUPERSET_SECRET_KEY vaut une valeur par défaut connue : Superset refuse de démarrer. "
        "Générez une clé aléatoire, par exemple avec : openssl rand -base64 42"
    )

# --- Metadata database and caches -----------------------------------------------
# docker-compose sets PACTE_SUPERSET_DATABASE_URI (PostgreSQL); one machine keeps SQLite.
SQLALCHEMY_DATABASE_URI = (os.environ.get("PACTE_SUPERSET_DATABASE_URI", "").strip()
                           or f"sqlite:///{PACTE_SUPERSET_HOME / 'superset.db'}?check_same_thread=false")
DATA_DIR = str(PACTE_SUPERSET_HOME)

# Superset's response cache (CACHE_CONFIG) keys whole HTTP responses of /superset/explore_json/ (the
# deck.gl maps) by URL only: a user would get the rows another user was allowed to see. It is off; the
# query-result cache stays, its key holds the user's row-level filters (dashboards/pacte_web.py).
CACHE_CONFIG = {"CACHE_TYPE": "NullCache", "CACHE_NO_NULL_WARNING": True}
# Shared by the gunicorn workers (files under PACTE_SUPERSET_HOME); a new publication changes every key
# (pacte_security: the served file's identity is part of the key), so no restart is needed after it.
DATA_CACHE_CONFIG = {
    "CACHE_TYPE": "FileSystemCache",
    "CACHE_DIR": str(PACTE_SUPERSET_HOME / "cache" / "donnees"),
    "CACHE_DEFAULT_TIMEOUT": 3600,
    "CACHE_THRESHOLD": 20000,
    "CACHE_KEY_PREFIX": "pacte_data_",
}
# FILTER_STATE_CACHE_CONFIG / EXPLORE_FORM_DATA_CACHE_CONFIG keep Superset's
# default (metastore cache in the SQLite metadata DB; works with flask-caching<2.4).

RATELIMIT_STORAGE_URI = "memory://"


class NoEventLogger(AbstractEventLogger):
    """Superset writes a row per request into its metadata database (the « logs » table): a write, under the
    SQLite lock, on every chart of every dashboard of every comité member (12 % of the CPU of a dashboard
    served, measured with py-spy). The comités do not use the activity log; gunicorn's access log stays."""

    def log(self, *args: Any, **kwargs: Any) -> None:
        return None


EVENT_LOGGER = NoEventLogger()

# --- Security -------------------------------------------------------------------
# Comité accounts only get the data of the dashboards' saved charts (dashboards/pacte_security.py).
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
from pacte_security import security_manager_class  # noqa: E402

CUSTOM_SECURITY_MANAGER = security_manager_class()
WTF_CSRF_ENABLED = True
PREVENT_UNSAFE_DB_CONNECTIONS = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_HTTPONLY = True

# --- Language and number formats ---------------------------------------------------
APP_NAME = "Pacte — diagnostic territorial"
BABEL_DEFAULT_LOCALE = "fr"
# French only: with a second language, a browser asking for English would get it.
LANGUAGES = {"fr": {"flag": "fr", "name": "Français"}}
D3_FORMAT = {
    "decimal": ",",
    "thousands": "\u00a0",
    "grouping": [3],
    "currency": ["", "\u00a0€"],
}

# --- Features ---------------------------------------------------------------------
# Native filters, cross-filters and generic x-axes are always on in Superset 6.
FEATURE_FLAGS: dict[str, bool] = {
    "ENABLE_TEMPLATE_PROCESSING": False,
    "ALERT_REPORTS": False,
    "THUMBNAILS": False,
    "EMBEDDED_SUPERSET": False,
}

# --- No Mapbox, no telemetry --------------------------------------------------------
MAPBOX_API_KEY = ""
# Content-Security-Policy without the Scarf pixel nor map tile servers: the
# browser is only allowed to talk to this Superset.
TALISMAN_ENABLED = True
TALISMAN_CONFIG = {
    "content_security_policy": {
        "base-uri": ["'self'"],
        "default-src": ["'self'"],
        "img-src": ["'self'", "blob:", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": "'none'",
        "style-src": ["'self'", "'unsafe-inline'"],
        "font-src": ["'self'", "data:"],
        "script-src": ["'self'", "'strict-dynamic'"],
    },
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,
    "session_cookie_secure": False,
}
CONTENT_SECURITY_POLICY_WARNING = False

# Queries on the served DuckDB file are small: keep the default row limits.
ROW_LIMIT = 50000
SQL_MAX_ROW = 100000

# --- Offline maps -------------------------------------------------------------------
# deck.gl charts need a base map style. Mapbox (token) and OSM tiles are remote and
# blocked by the CSP above, so the map charts of the bundle use
# "tile://<URL publique>/pacte/tuile-vide.png": a transparent tile served by this Superset. The
# EPCI polygons come from the warehouse (marts.geo_epci), nothing leaves the browser.
BLANK_TILE_PATH = "/pacte/tuile-vide.png"
# Explore's "Map Style" choices (the validator wants tile://http…): same URL as `manage.py import`.
_PUBLIC_URL = (os.environ.get("PACTE_SUPERSET_URL") or "http://127.0.0.1:8088").rstrip("/")
DECKGL_BASE_MAP = [[f"tile://{_PUBLIC_URL}{BLANK_TILE_PATH}", "Sans fond de carte (hors ligne)"]]


def _blank_tile_png(size: int = 256) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x00" * 4 * size for _ in range(size))  # RGBA, fully transparent
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


_BLANK_TILE = _blank_tile_png()


def FLASK_APP_MUTATOR(app):  # noqa: N802 — name imposed by Superset
    import pacte_web

    pacte_web.install(app, BLANK_TILE_PATH, _BLANK_TILE)
