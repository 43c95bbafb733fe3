"""Run the Pacte Superset: init, import, utilisateur, start, stop, status, export.

Run it with the Superset venv (Superset cannot share the pipeline venv)::

    export SUPERSET_SECRET_KEY="$(openssl rand -base64 42)"
    export PACTE_SUPERSET_ADMIN_PASSWORD=...
    .venvs/superset/bin/python dashboards/manage.py init
    .venvs/superset/bin/python dashboards/manage.py import --served "$PWD/serving/pacte.duckdb" \
        [--url-publique http://127.0.0.1:8088]
    MDP=... .venvs/superset/bin/python dashboards/manage.py utilisateur --identifiant jdupont \
        --role comite --departement 16 --mot-de-passe-env MDP
    .venvs/superset/bin/python dashboards/manage.py start --port 8088
    .venvs/superset/bin/python dashboards/manage.py stop

`import` also links the multi-layer maps to their layer charts (chart ids are
not remapped by Superset's importer) and (re)creates the roles comite and
analyste and the RLS filters by département (dashboards/pacte_security.py).
`utilisateur` creates or updates an account (role comite, analyste or admin;
one or more départements, each a role departement_<code> with its RLS filter);
without --mot-de-passe-env a random password is generated and printed once.

The dashboards are rendered from dashboards/spec/ (``make dashboards``);
``import`` replaces every object by uuid and deletes the dashboards, charts
and datasets the bundle no longer holds. ``manage.py export --out DIR``
writes a running instance's dashboards to a folder outside dashboards/
(stable file names, placeholders put back, instance ids stripped), to see
what was changed in the UI and carry it over to the spec.

The script sets SUPERSET_CONFIG_PATH, FLASK_APP, SUPERSET_HOME and
PACTE_SUPERSET_HOME (default: <repo>/.superset) itself.

`import` does not call `superset import-dashboards`: that command hard-codes
overwrite=False for databases, datasets and charts, so a new served path or
an edited chart YAML would be silently ignored on re-import. It runs
Superset's ImportAssetsCommand instead (the code behind
POST /api/v1/assets/import/), which overwrites every object by uuid, then
checks in the metadata DB that the connection is still read-only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# The process supervisor shared with `bin/pacte airflow` (warehouse/supervisor.py, standard library only):
# this script runs with dashboards/ on its path, so the repository root is appended (installed packages first).
if str(REPO) not in sys.path:
    sys.path.append(str(REPO))
from warehouse import supervisor  # noqa: E402

DASHBOARDS_DIR = REPO / "dashboards"
BUNDLE_DIR = DASHBOARDS_DIR / "bundle"
CONFIG_PATH = DASHBOARDS_DIR / "superset_config.py"
PLACEHOLDER = "__PACTE_SERVED_DB__"
PLACEHOLDER_URI = f"duckdb:///{PLACEHOLDER}"
# Public URL of this Superset, for the transparent base-map tile of the offline maps.
URL_PLACEHOLDER = "__PACTE_URL_PUBLIQUE__"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8088"
BUNDLE_ROOT_NAME = "pacte_bundle"
ADMIN_USERNAME = "admin"
DEFAULT_PORT = 8088
HEALTH_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 20.0
# Characters that would break the SQLAlchemy URL or the YAML scalar.
UNSAFE_PATH_CHARS = re.compile(r"[?#%\s\"'\\]")


class ManageError(Exception):
    """An error whose message (in French) is shown to the user as is."""


# --------------------------------------------------------------------------- env


def superset_home() -> Path:
    home = os.environ.get("PACTE_SUPERSET_HOME") or str(REPO / ".superset")
    return Path(home).expanduser().resolve()


def superset_env() -> dict[str, str]:
    home = superset_home()
    env = dict(os.environ)
    env.update(
        {
            "SUPERSET_CONFIG_PATH": str(CONFIG_PATH),
            "FLASK_APP": "superset",
            "SUPERSET_HOME": str(home),
            "PACTE_SUPERSET_HOME": str(home),
            "SUPERSET_LOAD_EXAMPLES": "no",
            "SCARF_ANALYTICS": "false",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("FLASK_DEBUG", None)
    return env


def apply_env() -> None:
    """Set the Superset environment in this process (before importing superset)."""
    os.environ.update(superset_env())
    os.environ.pop("FLASK_DEBUG", None)
    superset_home().mkdir(parents=True, exist_ok=True)


def require_env(name: str, hint: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ManageError(f"La variable d'environnement {name} est requise. {hint}")
    return value


def require_secret_key() -> None:
    require_env(
        "SUPERSET_SECRET_KEY",
        'Exemple : export SUPERSET_SECRET_KEY="$(openssl rand -base64 42)"',
    )


def superset_bin() -> Path:
    for candidate in (Path(sys.executable).parent / "superset", REPO / ".venvs/superset/bin/superset"):
        if candidate.exists():
            return candidate
    raise ManageError("Commande « superset » introuvable : lancez ce script avec .venvs/superset/bin/python.")


def log_path() -> Path:
    return superset_home() / "manage.log"


def run_superset(args: list[str], label: str) -> None:
    """Run a `superset` CLI command; its output goes to manage.log."""
    started = time.monotonic()
    print(f"→ {label}…", flush=True)
    log = log_path()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        out.write(f"\n===== superset {' '.join(args)} =====\n".encode())
        out.flush()
        proc = subprocess.run(
            [str(superset_bin()), *args],
            env=superset_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    if proc.returncode != 0:
        raise ManageError(
            f"Échec de « superset {' '.join(args)} » (code {proc.returncode}).\nDernières lignes de {log} :\n{tail(log)}"
        )
    print(f"  ok ({time.monotonic() - started:.1f} s)", flush=True)


def tail(path: Path, lines: int = 30) -> str:
    try:
        content = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return "(journal absent)"
    return "\n".join(content[-lines:])


@contextlib.contextmanager
def superset_app_context() -> Iterator[Any]:
    """Create the Superset app in this process and push an app context."""
    apply_env()
    try:
        from superset.app import create_app  # after apply_env()

        app = create_app()
    except Exception as exc:  # e.g. superset_config.py refusing a default SECRET_KEY
        raise ManageError(f"Superset n'a pas pu démarrer : {exc}") from exc
    with app.app_context():
        yield app


# --------------------------------------------------------------------------- init


def ensure_admin(password: str) -> None:
    with superset_app_context():
        from superset import db, security_manager

        role = security_manager.find_role("Admin")
        if role is None:
            raise ManageError("Le rôle « Admin » n'existe pas : « superset init » a-t-il échoué ?")
        user = security_manager.find_user(username=ADMIN_USERNAME)
        if user is None:
            created = security_manager.add_user(ADMIN_USERNAME, "Admin", "Pacte", "admin@pacte.invalid", role, password=password)
            if not created:
                raise ManageError("Impossible de créer l'utilisateur admin (voir le journal Superset).")
            print("  utilisateur « admin » créé", flush=True)
        else:
            security_manager.reset_password(user.id, password)
            if role not in user.roles:
                user.roles.append(role)
            db.session.commit()
            print("  utilisateur « admin » existant : mot de passe et rôle mis à jour", flush=True)


def cmd_init(_: argparse.Namespace) -> int:
    require_secret_key()
    password = require_env("PACTE_SUPERSET_ADMIN_PASSWORD", "Elle fixe le mot de passe du compte « admin » de Superset.")
    started = time.monotonic()
    apply_env()
    print(f"Initialisation de Superset dans {superset_home()}", flush=True)
    run_superset(["db", "upgrade"], "migration de la base de métadonnées (superset db upgrade)")
    run_superset(["init"], "rôles et permissions (superset init)")
    print("→ compte administrateur…", flush=True)
    ensure_admin(password)
    print(f"Initialisation terminée en {time.monotonic() - started:.0f} s.", flush=True)
    return 0


# --------------------------------------------------------------------------- import


def load_yaml(path: Path) -> dict[str, Any]:
    import yaml

    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ManageError(f"Fichier YAML invalide : {path}")
    return data


def bundle_objects(bundle: Path) -> dict[str, list[dict[str, Any]]]:
    """The bundle's YAML objects, by kind (databases, datasets, charts, dashboards)."""
    objects: dict[str, list[dict[str, Any]]] = {}
    for kind in ("databases", "datasets", "charts", "dashboards"):
        objects[kind] = [load_yaml(p) for p in sorted((bundle / kind).rglob("*.yaml"))]
    if not objects["databases"] or not objects["dashboards"]:
        raise ManageError(f"Bundle incomplet dans {bundle} (base ou tableau de bord manquant).")
    return objects


def check_served_path(served: Path) -> Path:
    served = served.expanduser()
    if not served.is_absolute():
        served = served.resolve()
        print(f"  chemin relatif converti en chemin absolu : {served}", flush=True)
    if UNSAFE_PATH_CHARS.search(str(served)):
        raise ManageError(f"Chemin du fichier servi non supporté (espace, ?, #, %, guillemet ou antislash) : {served}")
    if not served.exists():
        print(
            f"  attention : {served} n'existe pas encore ; les graphiques seront en erreur "
            "tant que le pipeline ne l'a pas publié.",
            flush=True,
        )
    return served


def check_public_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if not re.fullmatch(r"https?://[A-Za-z0-9.\-]+(:\d+)?(/[A-Za-z0-9._~\-/]*)?", url):
        raise ManageError(f"URL publique invalide : « {url} » (attendu par exemple http://127.0.0.1:8088).")
    return url


def build_bundle_zip(served: Path, workdir: Path, public_url: str = DEFAULT_PUBLIC_URL) -> Path:
    """Copy the bundle, put the served path and the public URL in place of their placeholders, zip it."""
    root = workdir / BUNDLE_ROOT_NAME
    shutil.copytree(BUNDLE_DIR, root)
    replaced = 0
    for path in root.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        if URL_PLACEHOLDER in text:
            text = text.replace(URL_PLACEHOLDER, public_url)
            path.write_text(text, encoding="utf-8")
        if PLACEHOLDER in text:
            path.write_text(text.replace(PLACEHOLDER, str(served)), encoding="utf-8")
            replaced += 1
    if replaced == 0:
        raise ManageError(f"Le bundle ne contient pas le repère {PLACEHOLDER} attendu dans la base.")
    expected_uri = f"duckdb:///{served}"
    for database in bundle_objects(root)["databases"]:
        if not connection_read_only(json.dumps(database.get("extra") or {})) or database.get("allow_dml"):
            raise ManageError(
                f"Le bundle déclare la connexion « {database.get('database_name')} » sans "
                "engine_params.connect_args.read_only: true (ou avec allow_dml) : import refusé."
            )
        if database.get("sqlalchemy_uri") != expected_uri:
            raise ManageError(
                f"URI inattendue après remplacement : {database.get('sqlalchemy_uri')!r} (attendu {expected_uri!r})."
            )
    zip_path = workdir / f"{BUNDLE_ROOT_NAME}.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(workdir).as_posix())
    return zip_path


def connection_read_only(extra_json: str | None) -> bool:
    try:
        extra = json.loads(extra_json or "{}")
    except json.JSONDecodeError:
        return False
    return extra.get("engine_params", {}).get("connect_args", {}).get("read_only") is True


def import_and_verify(zip_path: Path, served: Path, objects: dict[str, list[dict[str, Any]]]) -> None:
    with superset_app_context():
        from sqlalchemy import text
        from sqlalchemy.exc import SAWarning
        from superset import db, security_manager
        from superset.commands.importers.v1.assets import ImportAssetsCommand
        from superset.commands.importers.v1.utils import get_contents_from_bundle
        from superset.models.core import Database
        from superset.models.dashboard import Dashboard
        from superset.models.slice import Slice
        from superset.utils.core import override_user

        # Superset's own importer triggers harmless SQLAlchemy flush warnings.
        warnings.simplefilter("ignore", SAWarning)
        admin = security_manager.find_user(username=ADMIN_USERNAME)
        if admin is None:
            raise ManageError("Utilisateur « admin » absent : lancez d'abord « manage.py init ».")
        with zipfile.ZipFile(zip_path) as bundle:
            contents = get_contents_from_bundle(bundle)
        print(f"→ import de {len(contents) - 1} objets (ImportAssetsCommand, écrasement par uuid)…", flush=True)
        with override_user(admin):
            try:
                ImportAssetsCommand(contents).run()
            except Exception as exc:  # the command wraps everything in ImportFailedError
                details = getattr(exc, "normalized_messages", lambda: None)()
                raise ManageError(f"Échec de l'import du bundle : {exc} {details or ''}".strip()) from exc

        link_map_layers()
        prune_removed(objects)
        # Verify from a fresh read of the metadata DB.
        db.session.expire_all()
        print("→ vérification dans la base de métadonnées…", flush=True)
        for expected in objects["databases"]:
            database = db.session.query(Database).filter_by(uuid=expected["uuid"]).one_or_none()
            if database is None:
                raise ManageError(f"Base « {expected['database_name']} » absente après l'import.")
            if not connection_read_only(database.extra):
                raise ManageError(
                    f"La connexion « {database.database_name} » n'est PAS en lecture seule après "
                    f"l'import (extra = {database.extra}). Import refusé."
                )
            if database.allow_dml:
                raise ManageError(f"La connexion « {database.database_name} » autorise le DML : refusé.")
            if database.sqlalchemy_uri != f"duckdb:///{served}":
                raise ManageError(f"URI inattendue pour « {database.database_name} » : {database.sqlalchemy_uri}")
            print(f"  base « {database.database_name} » : lecture seule, DML interdit, {served}", flush=True)
            if served.exists():
                with database.get_sqla_engine() as engine, engine.connect() as conn:
                    mode = conn.execute(text("SELECT current_setting('access_mode')")).scalar()
                    n_rows = conn.execute(text("SELECT count(*) FROM marts.indicateurs_epci")).scalar()
                if str(mode).lower() != "read_only":
                    raise ManageError(f"DuckDB est ouvert en mode « {mode} » au lieu de read_only.")
                print(f"  connexion testée : access_mode={mode}, marts.indicateurs_epci = {n_rows} lignes", flush=True)
        for expected in objects["charts"]:
            if db.session.query(Slice).filter_by(uuid=expected["uuid"]).one_or_none() is None:
                raise ManageError(f"Graphique « {expected['slice_name']} » absent après l'import.")
        for expected in objects["dashboards"]:
            dashboard = db.session.query(Dashboard).filter_by(uuid=expected["uuid"]).one_or_none()
            if dashboard is None:
                raise ManageError(f"Tableau de bord « {expected['dashboard_title']} » absent après l'import.")
            print(
                f"  tableau de bord « {dashboard.dashboard_title} » (/superset/dashboard/{dashboard.slug}/) : "
                f"{len(dashboard.slices)} graphiques",
                flush=True,
            )
        apply_security()
    # Responses and PDFs kept by the running Superset were made with the previous charts and datasets.
    for cached in ("cache", "pdf"):
        shutil.rmtree(superset_home() / cached, ignore_errors=True)
    print("  caches des réponses et des PDF vidés (nouvelle définition des tableaux de bord)", flush=True)


def prune_removed(objects: dict[str, list[dict[str, Any]]]) -> None:
    """Delete the dashboards, charts and datasets (of the pacte database) that the bundle no longer holds:
    the bundle is the whole set, and a dataset left behind would stay readable."""
    import uuid

    from superset import db
    from superset.connectors.sqla.models import SqlaTable
    from superset.models.core import Database
    from superset.models.dashboard import Dashboard
    from superset.models.slice import Slice

    kept = {kind: {uuid.UUID(o["uuid"]) for o in objects[kind]} for kind in ("datasets", "charts", "dashboards")}
    database_ids = [d.id for d in db.session.query(Database).filter(
        Database.uuid.in_([uuid.UUID(o["uuid"]) for o in objects["databases"]])).all()]
    tables = db.session.query(SqlaTable).filter(SqlaTable.database_id.in_(database_ids)).all()
    removed = {
        "tableaux de bord": [d for d in db.session.query(Dashboard).all() if d.uuid not in kept["dashboards"]],
        "graphiques": [c for c in db.session.query(Slice).all()
                       if c.uuid not in kept["charts"] and c.datasource_id in {t.id for t in tables}],
        "jeux de données": [t for t in tables if t.uuid not in kept["datasets"]],
    }
    for kind, items in removed.items():
        for item in items:
            db.session.delete(item)
        if items:
            names = ", ".join(sorted(getattr(i, "dashboard_title", None) or getattr(i, "slice_name", None)
                                     or i.table_name for i in items))
            print(f"  {kind} retirés (absents du bundle) : {names}", flush=True)
    db.session.commit()


def link_map_layers() -> None:
    """Point each multi-layer map at its layers (inside an app context).

    A deck.gl « Multiple Layers » chart lists its layers by chart id (params.deck_slices), which the importer
    does not remap; the bundle also lists them by uuid (params.pacte_couches), in drawing order.
    """
    import uuid

    from superset import db
    from superset.models.slice import Slice

    for chart in db.session.query(Slice).filter(Slice.viz_type == "deck_multi").all():
        params = json.loads(chart.params or "{}")
        layer_uuids = params.get("pacte_couches")
        if not layer_uuids:
            continue
        layers = db.session.query(Slice).filter(Slice.uuid.in_([uuid.UUID(u) for u in layer_uuids])).all()
        ids = {str(layer.uuid): layer.id for layer in layers}
        missing = [u for u in layer_uuids if u not in ids]
        if missing:
            raise ManageError(f"Couches absentes pour la carte « {chart.slice_name} » : {', '.join(missing)}")
        params["deck_slices"] = [ids[u] for u in layer_uuids]
        chart.params = json.dumps(params, ensure_ascii=False)
        if chart.query_context:
            query_context = json.loads(chart.query_context)
            query_context.setdefault("form_data", {})["deck_slices"] = params["deck_slices"]
            chart.query_context = json.dumps(query_context, ensure_ascii=False)
        print(f"  carte « {chart.slice_name} » : {len(layers)} couches reliées", flush=True)
    db.session.commit()


def apply_security() -> None:
    """Roles comite/analyste and département RLS (inside an app context)."""
    import pacte_security as security

    try:
        counts = security.ensure_roles()
        rls = security.sync_rls()
    except security.SecurityError as exc:
        raise ManageError(str(exc)) from exc
    print(
        f"  rôles : comite ({counts['comite']} permissions), analyste ({counts['analyste']} permissions) ; "
        f"filtres RLS par département sur {', '.join(rls['tables'])} "
        f"({', '.join(rls['departements']) or 'aucun département rattaché pour l’instant'})",
        flush=True,
    )


def cmd_import(args: argparse.Namespace) -> int:
    require_secret_key()
    started = time.monotonic()
    served = check_served_path(Path(args.served))
    objects = bundle_objects(BUNDLE_DIR)
    with tempfile.TemporaryDirectory(prefix="pacte_bundle_") as tmp:
        zip_path = build_bundle_zip(served, Path(tmp), check_public_url(args.url_publique))
        import_and_verify(zip_path, served, objects)
    print(f"Import terminé en {time.monotonic() - started:.0f} s.", flush=True)
    return 0


# --------------------------------------------------------------------------- users


def cmd_utilisateur(args: argparse.Namespace) -> int:
    """Create or update an account with its role and départements."""
    import pacte_security as security

    require_secret_key()
    password = None
    if args.mot_de_passe_env:
        password = require_env(args.mot_de_passe_env, "Elle doit contenir le mot de passe du compte.")
    with superset_app_context():
        from superset import security_manager

        generated = password is None and security_manager.find_user(username=args.identifiant) is None
        if generated:
            password = secrets.token_urlsafe(12)
        try:
            created = security.ensure_user(args.identifiant, args.role, args.departement or [], password)
        except security.SecurityError as exc:
            raise ManageError(str(exc)) from exc
    depts = ", ".join(args.departement or []) or "tous (administrateur)"
    print(f"Compte « {args.identifiant} » {'créé' if created else 'mis à jour'} : rôle {args.role}, département(s) {depts}.")
    if generated:
        print(f"Mot de passe généré (à transmettre par un canal sûr, il n'est pas conservé) : {password}")
    return 0


# --------------------------------------------------------------------------- export


def slugify(value: str) -> str:
    ascii_value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_value.lower()).strip("_") or "objet"


def normalize_query_context(raw: str | None) -> str | None:
    """Drop instance-specific ids (slice_id, url_params) from a saved query_context."""
    if not raw:
        return raw
    query_context = json.loads(raw)
    form_data = query_context.get("form_data", {})
    for key in ("slice_id", "url_params", "dashboardId"):
        form_data.pop(key, None)
    for query in query_context.get("queries", []):
        query.pop("url_params", None)
    return json.dumps(query_context, ensure_ascii=False, sort_keys=True)


def normalize_dashboard_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """Drop `chartsInScope`: it holds chart ids that the importer does not remap.

    Without it, the frontend derives the scope from `scope.excluded`, which the
    importer does remap through the CHART nodes of the position.
    """
    for native_filter in metadata.get("native_filter_configuration", []):
        native_filter.pop("chartsInScope", None)
        native_filter.pop("tabsInScope", None)
    metadata.get("global_chart_configuration", {}).pop("chartsInScope", None)
    for chart_config in metadata.get("chart_configuration", {}).values():
        chart_config.get("crossFilters", {}).pop("chartsInScope", None)
    return metadata


def cmd_export(args: argparse.Namespace) -> int:
    """Export the bundle's dashboards from the metadata DB back to YAML (for maintainers)."""
    import yaml

    require_secret_key()
    out = Path(args.out).resolve()
    if out == DASHBOARDS_DIR or DASHBOARDS_DIR in out.parents:
        raise ManageError(f"{out} est dans dashboards/ : le bundle se rend depuis dashboards/spec/ (make dashboards). "
                          "Exportez ailleurs (ex. var/export) pour comparer et reporter les changements dans la spécification.")
    dashboard_uuids = [d["uuid"] for d in bundle_objects(BUNDLE_DIR)["dashboards"]] if not args.all else []
    with superset_app_context():
        from superset import security_manager
        from superset.commands.dashboard.export import ExportDashboardsCommand
        from superset.extensions import db
        from superset.models.dashboard import Dashboard
        from superset.utils.core import override_user

        query = db.session.query(Dashboard)
        if dashboard_uuids:
            query = query.filter(Dashboard.uuid.in_(dashboard_uuids))
        ids = [d.id for d in query.all()]
        if not ids:
            raise ManageError("Aucun tableau de bord à exporter.")
        with override_user(security_manager.find_user(username=ADMIN_USERNAME)):
            files = {name: content() for name, content in ExportDashboardsCommand(ids).run()}
    if out.exists():
        if any(out.iterdir()) and not (out / "metadata.yaml").exists():
            raise ManageError(f"{out} n'est pas un bundle (pas de metadata.yaml) : refus de l'écraser.")
        shutil.rmtree(out)
    for name, content in files.items():
        data = yaml.safe_load(content)
        if name == "metadata.yaml":
            data = {"version": data["version"], "type": "assets", "timestamp": "2024-01-01T00:00:00+00:00"}
        elif name.startswith("databases/"):
            data["sqlalchemy_uri"] = PLACEHOLDER_URI
            name = f"databases/{slugify(data['database_name'])}.yaml"
        elif name.startswith("datasets/"):
            data["metrics"] = sorted(data.get("metrics", []), key=lambda m: m["metric_name"])
            name = f"datasets/{Path(name).parent.name}/{slugify(data['table_name'])}.yaml"
        elif name.startswith("charts/"):
            data["query_context"] = normalize_query_context(data.get("query_context"))
            data["params"].pop("slice_id", None)
            name = f"charts/{slugify(data['slice_name'])}.yaml"
        elif name.startswith("dashboards/"):
            data["metadata"] = normalize_dashboard_metadata(data.get("metadata", {}))
            name = f"dashboards/{slugify(data.get('slug') or data['dashboard_title'])}.yaml"
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
        # put the public-URL placeholder back in the map charts' base-map style
        text = re.sub(r"tile://[^\s\"'\\]*?(/pacte/tuile-vide\.png)", rf"tile://{URL_PLACEHOLDER}\1", text)
        path.write_text(text, encoding="utf-8")
        print(f"  {path.relative_to(out)}", flush=True)
    print(f"Bundle exporté dans {out}", flush=True)
    return 0


# --------------------------------------------------------------------------- start / stop


def state_path() -> Path:
    return superset_home() / "superset.pid"


def read_state() -> dict[str, int] | None:
    try:
        state = json.loads(state_path().read_text())
        return {"pid": int(state["pid"]), "port": int(state["port"])}
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


def is_our_server(pid: int) -> bool:
    """True if `pid` is alive and is the gunicorn master of this Superset."""
    args = supervisor.command_line(pid)
    if args is None:
        return False
    if not args:
        return True  # just forked (exec not visible yet), or no procfs: trust the pid file
    gunicorn = any(a.endswith(b"gunicorn") for a in args) and APP_FACTORY.encode() in args
    legacy = any(a.endswith(b"superset") for a in args) and b"run" in args  # `superset run`, before gunicorn
    return gunicorn or legacy


def healthy(port: int) -> bool:
    return (supervisor.http_get(f"http://127.0.0.1:{port}/health") or b"").strip() == b"OK"


def port_in_use(port: int) -> bool:
    return supervisor.port_in_use(port)


def wait_healthy(port: int, pid: int, timeout: float) -> bool:
    return supervisor.wait_until(lambda: healthy(port), lambda: is_our_server(pid), timeout)


APP_FACTORY = "superset.app:create_app()"


def server_size() -> tuple[int, int]:
    """Gunicorn workers and threads per worker: one worker per core plus one (a worker is a Python process,
    ≈ 350 MB), four threads each (requests mostly wait on DuckDB, which releases the GIL). Overridable with
    PACTE_SUPERSET_WORKERS and PACTE_SUPERSET_THREADS."""
    workers = int(os.environ.get("PACTE_SUPERSET_WORKERS") or (os.cpu_count() or 1) + 1)
    threads = int(os.environ.get("PACTE_SUPERSET_THREADS") or 4)
    return max(1, workers), max(1, threads)


def cmd_start(args: argparse.Namespace) -> int:
    require_secret_key()
    apply_env()
    home = superset_home()
    log = home / "superset.log"
    state = read_state()
    if state and is_our_server(state["pid"]):
        url = f"http://127.0.0.1:{state['port']}/"
        if wait_healthy(state["port"], state["pid"], HEALTH_TIMEOUT_S):
            print(f"Superset tourne déjà (pid {state['pid']}) : {url}", flush=True)
            if state["port"] != args.port:
                print(f"  attention : port {state['port']} et non {args.port}", flush=True)
            return 0
        raise ManageError(
            f"Superset (pid {state['pid']}) ne répond pas sur {url}health. "
            f"Lancez « manage.py stop » puis réessayez. Journal : {log}"
        )
    if state:
        state_path().unlink(missing_ok=True)
    if port_in_use(args.port):
        raise ManageError(f"Le port {args.port} est déjà utilisé par un autre programme.")

    started = time.monotonic()
    with log.open("ab") as out:
        out.write(f"\n===== gunicorn {args.host}:{args.port} ({time.strftime('%Y-%m-%d %H:%M:%S')}) =====\n".encode())
        out.flush()
        workers, threads = server_size()
        proc = subprocess.Popen(
            [str(superset_bin().with_name("gunicorn")), "--bind", f"{args.host}:{args.port}", "--workers", str(workers),
             "--threads", str(threads), "--worker-class", "gthread", "--timeout", "120", "--graceful-timeout", "20",
             # browsers keep connections open between two dashboards; gunicorn's 2 s default closes them under
             # their feet (a request sent on a closed connection fails)
             "--keep-alive", "75",
             "--limit-request-line", "0", "--limit-request-field_size", "0", "--access-logfile", "-", APP_FACTORY],
            env=superset_env(),
            cwd=home,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # like nohup: detached from the terminal
        )
    state_path().write_text(json.dumps({"pid": proc.pid, "port": args.port}))
    print(f"→ démarrage de Superset (gunicorn, pid {proc.pid}, {workers} processus × {threads} fils), journal : {log}",
          flush=True)
    if not wait_healthy(args.port, proc.pid, HEALTH_TIMEOUT_S):
        stop_pid(proc.pid)
        state_path().unlink(missing_ok=True)
        raise ManageError(
            f"Superset n'a pas répondu OK sur /health en {HEALTH_TIMEOUT_S:.0f} s.\nDernières lignes de {log} :\n{tail(log)}"
        )
    print(
        f"Superset prêt en {time.monotonic() - started:.0f} s : http://127.0.0.1:{args.port}/ "
        f"(tableaux de bord : http://127.0.0.1:{args.port}/dashboard/list/)",
        flush=True,
    )
    return 0


def stop_pid(pid: int) -> None:
    """SIGTERM the process group started by `start`, then SIGKILL if needed."""
    supervisor.stop_groups([pid], STOP_TIMEOUT_S, STOP_TIMEOUT_S, running=is_our_server)


def cmd_stop(_: argparse.Namespace) -> int:
    state = read_state()
    if state is None:
        print("Superset n'est pas démarré (pas de fichier pid).", flush=True)
        return 0
    if is_our_server(state["pid"]):
        stop_pid(state["pid"])
        if is_our_server(state["pid"]):
            raise ManageError(f"Impossible d'arrêter Superset (pid {state['pid']}).")
        print(f"Superset arrêté (pid {state['pid']}).", flush=True)
    else:
        print(f"Superset n'était plus en cours d'exécution (pid {state['pid']}).", flush=True)
    state_path().unlink(missing_ok=True)
    return 0


WARMUP_PREFIX = "prechauffage_"


def _warmup_accounts() -> list[tuple[str, str]]:
    """One account per distinct set of roles of the comité and analyste accounts (the data-response cache is
    keyed by roles: warming one account of a set serves every account of that set), with a fresh password;
    returns (identifiant, password) pairs."""
    import pacte_security as security

    with superset_app_context():
        from superset import db, security_manager

        sets: set[tuple[str, tuple[str, ...]]] = set()
        for user in db.session.query(security_manager.user_model).all():
            if user.username.startswith(WARMUP_PREFIX) or not user.active:
                continue
            names = {role.name for role in user.roles}
            for role_key in ("comite", "analyste"):
                if role_key in names:
                    deps = tuple(sorted(n.removeprefix(security.DEPARTEMENT_ROLE_PREFIX) for n in names
                                        if n.startswith(security.DEPARTEMENT_ROLE_PREFIX)))
                    if deps:
                        sets.add((role_key, deps))
        accounts = []
        for role_key, deps in sorted(sets):
            name = f"{WARMUP_PREFIX}{role_key}_{'_'.join(deps)}"
            password = secrets.token_urlsafe(16)
            security.ensure_user(name, role_key, list(deps), password)
            security_manager.find_user(username=name).active = True
            accounts.append((name, password))
        db.session.commit()
    return accounts


def _deactivate_warmup_accounts() -> None:
    with superset_app_context():
        from superset import db, security_manager

        for user in db.session.query(security_manager.user_model).all():
            if user.username.startswith(WARMUP_PREFIX):
                user.active = False
        db.session.commit()


def cmd_prechauffer(args: argparse.Namespace) -> int:
    """Ask every dashboard's data once per set of roles, so that the first comité member to open a dashboard
    after a publication or an import gets it from the cache."""
    sys.path.insert(0, str(REPO))
    from dashboards.http_client import WebSession, dashboard_requests

    require_secret_key()
    password = require_env("PACTE_SUPERSET_ADMIN_PASSWORD", "Mot de passe du compte « admin ».")
    state = read_state()
    if state is None or not healthy(state["port"]):
        raise ManageError("Superset ne tourne pas : lancez d'abord « manage.py start ».")
    base = f"http://127.0.0.1:{state['port']}"
    started = time.monotonic()
    accounts = [(ADMIN_USERNAME, password), *_warmup_accounts()]
    try:
        admin = WebSession(base, ADMIN_USERNAME, password)
        slugs = sorted(d["slug"] for d in admin.ok("/api/v1/dashboard/?q=(page_size:100)")["result"])
        requests_ = [r for slug in slugs for r in dashboard_requests(admin, slug)]
        failed = 0
        for name, secret in accounts:
            session = admin if name == ADMIN_USERNAME else WebSession(base, name, secret)
            failed += sum(session.call(r).status_code != 200 for r in requests_)
    finally:
        _deactivate_warmup_accounts()
    print(f"Préchauffage : {len(requests_)} requêtes × {len(accounts)} jeux de rôles en "
          f"{time.monotonic() - started:.0f} s ({failed} en échec).", flush=True)
    return 0 if failed == 0 else 1


def cmd_status(_: argparse.Namespace) -> int:
    state = read_state()
    if state and is_our_server(state["pid"]):
        ok = healthy(state["port"])
        print(
            f"Superset tourne (pid {state['pid']}) sur http://127.0.0.1:{state['port']}/ — "
            f"/health : {'OK' if ok else 'pas de réponse'}",
            flush=True,
        )
        return 0 if ok else 1
    print("Superset n'est pas démarré.", flush=True)
    return 3


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="manage.py",
        description="Superset du diagnostic territorial : init, import, utilisateur, start, stop, status, export.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init", help="migre la base de métadonnées, crée l'admin, superset init").set_defaults(func=cmd_init)
    p_import = sub.add_parser("import", help="importe le bundle YAML (idempotent)")
    p_import.add_argument("--served", required=True, help="chemin absolu du fichier DuckDB servi")
    p_import.add_argument(
        "--url-publique",
        default=os.environ.get("PACTE_SUPERSET_URL") or DEFAULT_PUBLIC_URL,
        help="URL de ce Superset vue par les navigateurs (fond de carte transparent des cartes hors ligne ; "
        f"défaut : $PACTE_SUPERSET_URL ou {DEFAULT_PUBLIC_URL})",
    )
    p_import.set_defaults(func=cmd_import)
    p_start = sub.add_parser("start", help="démarre Superset en arrière-plan")
    p_start.add_argument("--port", type=int, default=DEFAULT_PORT)
    p_start.add_argument("--host", default="127.0.0.1", help="adresse d'écoute (défaut : 127.0.0.1 ; 0.0.0.0 en conteneur)")
    p_start.set_defaults(func=cmd_start)
    p_user = sub.add_parser("utilisateur", help="crée ou met à jour un compte (rôle et département)")
    p_user.add_argument("--identifiant", required=True, help="identifiant de connexion")
    p_user.add_argument("--role", required=True, choices=["comite", "analyste", "admin"])
    p_user.add_argument("--departement", action="append", help="code du département dont le compte voit les lignes (répétable)")
    p_user.add_argument(
        "--mot-de-passe-env", help="variable d'environnement contenant le mot de passe (sinon : mot de passe généré)"
    )
    p_user.set_defaults(func=cmd_utilisateur)
    sub.add_parser("stop", help="arrête Superset (fichier pid)").set_defaults(func=cmd_stop)
    sub.add_parser("status", help="indique si Superset tourne").set_defaults(func=cmd_status)
    sub.add_parser("prechauffer", help="remplit le cache des tableaux de bord pour chaque jeu de rôles (après un "
                   "import ou une publication)").set_defaults(func=cmd_prechauffer)
    p_export = sub.add_parser("export", help="ré-exporte les tableaux de bord du bundle en YAML")
    p_export.add_argument("--out", required=True,
                          help="dossier de sortie (écrasé), hors de dashboards/ : le bundle se rend depuis dashboards/spec/")
    p_export.add_argument("--all", action="store_true", help="exporter tous les tableaux de bord")
    p_export.set_defaults(func=cmd_export)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return int(args.func(args))
    except ManageError as exc:
        print(f"ERREUR : {exc}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
