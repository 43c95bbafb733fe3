"""Roles, row-level security by département and users of the Pacte Superset.

Called by dashboards/manage.py inside a Superset app context:

* `ensure_roles()` creates or resets the two custom roles from explicit
  allow-lists: **comite** (read the dashboards, nothing else: no SQL Lab, no
  Explore, no dataset or chart editing, no CSV/export, no "view query" or
  "view as table" on dashboards) and **analyste** (comité + Explore + SQL Lab
  on the served warehouse, which stays read-only: DuckDB read_only and
  allow_dml false). Administrators use Superset's built-in Admin role.
* `sync_rls()` attaches, for every role `departement_<code>`, a Regular RLS
  filter `code_departement = '<code>'` to every dataset that has a
  code_departement column, plus one Base filter `1 = 0` that hides every row
  from anyone who is neither Admin nor attached to a département (fail closed:
  a comité account created without a département sees nothing).
  Filters share the group key `code_departement`, so a user attached to two
  départements sees both (Superset ORs filters of the same group).
* `ensure_user()` creates or updates an account with its role and départements.

RLS applies to chart and native-filter queries, not to SQL Lab: an analyste
reads the whole served file in SQL Lab.
"""

from __future__ import annotations

import re
from typing import Any

COMITE_ROLE = "comite"
ANALYSTE_ROLE = "analyste"
ADMIN_ROLE = "Admin"
DEPARTEMENT_ROLE_PREFIX = "departement_"
RLS_GROUP_KEY = "code_departement"
RLS_COLUMN = "code_departement"
BASE_FILTER_NAME = "pacte — aucun département : aucune ligne"
DEPARTEMENT_CODE = re.compile(r"^(0[1-9]|[1-8]\d|9[0-5]|2A|2B|97[1-6])$")

# Read the dashboards and their charts; change one's own password. Nothing else.
COMITE_PERMISSIONS: list[tuple[str, str]] = [
    ("can_read", "Dashboard"),
    ("can_read", "Chart"),
    ("can_read", "Dataset"),  # dashboard datasets endpoint (metadata only; no can_write)
    ("can_dashboard", "Superset"),
    ("can_dashboard_permalink", "Superset"),
    ("can_read", "DashboardFilterStateRestApi"),
    ("can_write", "DashboardFilterStateRestApi"),  # native-filter state of the reader's own session
    ("can_read", "DashboardPermalinkRestApi"),
    ("can_write", "DashboardPermalinkRestApi"),
    ("can_explore_json", "Superset"),
    ("can_log", "Superset"),
    ("can_language_pack", "Superset"),
    ("can_time_range", "Api"),
    ("can_query", "Api"),
    ("can_query_form_data", "Api"),
    ("can_list", "AsyncEventsRestApi"),
    ("can_read", "AvailableDomains"),
    ("can_read", "CurrentUserRestApi"),
    ("can_read", "SecurityRestApi"),  # csrf_token, fetched by the frontend at start-up
    ("can_get", "MenuApi"),
    ("can_list", "DynamicPlugin"),
    ("can_show", "DynamicPlugin"),
    ("can_read", "Theme"),
    ("can_read", "Tag"),
    ("can_recent_activity", "Log"),
    ("can_userinfo", "UserDBModelView"),
    ("resetmypassword", "UserDBModelView"),
    ("can_this_form_get", "ResetMyPasswordView"),
    ("can_this_form_post", "ResetMyPasswordView"),
    ("menu_access", "Home"),
    ("menu_access", "Dashboards"),
]
# On top of the comité's: explore, view the query and the rows behind a chart, CSV.
ANALYSTE_EXTRA_PERMISSIONS: list[tuple[str, str]] = [
    ("can_explore", "Superset"),
    ("can_read", "Explore"),
    ("can_read", "ExploreFormDataRestApi"),
    ("can_write", "ExploreFormDataRestApi"),
    ("can_read", "ExplorePermalinkRestApi"),
    ("can_write", "ExplorePermalinkRestApi"),
    ("can_view_query", "Dashboard"),
    ("can_view_chart_as_table", "Dashboard"),
    ("can_drill", "Dashboard"),
    ("can_get_drill_info", "Dataset"),
    ("can_csv", "Superset"),
    ("can_read", "Database"),
    ("menu_access", "Charts"),
    ("menu_access", "Datasets"),
    ("menu_access", "Data"),
]
SQL_LAB_ROLE = "sql_lab"  # built-in role synced by `superset init`


class SecurityError(Exception):
    """Message in French, shown to the user as is."""


def _permission_views(sm: Any, pairs: list[tuple[str, str]]) -> list[Any]:
    found, missing = [], []
    for permission, view in pairs:
        pv = sm.find_permission_view_menu(permission, view)
        (found if pv else missing).append(pv or f"{permission} sur {view}")
    if missing:
        raise SecurityError(f"Permissions Superset introuvables (superset init a-t-il tourné ?) : {missing}")
    return found


def _pacte_database(db: Any) -> Any:
    from superset.models.core import Database

    database = db.session.query(Database).filter_by(database_name="pacte").one_or_none()
    if database is None:
        raise SecurityError("Base « pacte » absente : lancez d'abord « manage.py import ».")
    return database


def ensure_roles() -> dict[str, int]:
    """Create or reset the comite and analyste roles; returns their permission counts."""
    from superset import db
    from superset import security_manager as sm

    database = _pacte_database(db)
    data_access = sm.add_permission_view_menu("database_access", database.perm)
    comite = _permission_views(sm, COMITE_PERMISSIONS) + [data_access]
    sql_lab = sm.find_role(SQL_LAB_ROLE)
    if sql_lab is None:
        raise SecurityError("Rôle « sql_lab » absent : « superset init » a-t-il tourné ?")
    analyste = list(
        {pv.id: pv for pv in [*comite, *_permission_views(sm, ANALYSTE_EXTRA_PERMISSIONS), *sql_lab.permissions]}.values()
    )
    counts = {}
    for name, permissions in ((COMITE_ROLE, comite), (ANALYSTE_ROLE, analyste)):
        role = sm.find_role(name) or sm.add_role(name)
        role.permissions = permissions
        counts[name] = len(permissions)
    db.session.commit()
    return counts


def departement_role_name(code: str) -> str:
    return f"{DEPARTEMENT_ROLE_PREFIX}{code}"


def check_departement(code: str) -> str:
    code = code.strip().upper()
    if not DEPARTEMENT_CODE.match(code):
        raise SecurityError(f"Code département invalide : « {code} » (attendu : 01 à 95, 2A, 2B, 971 à 976).")
    return code


def ensure_departement_role(code: str) -> Any:
    from superset import db
    from superset import security_manager as sm

    name = departement_role_name(check_departement(code))
    role = sm.find_role(name) or sm.add_role(name)
    db.session.commit()
    return role


def sync_rls() -> dict[str, Any]:
    """(Re)attach the département RLS filters to every dataset with a code_departement column."""
    from superset import db
    from superset import security_manager as sm
    from superset.connectors.sqla.models import RowLevelSecurityFilter, SqlaTable
    from superset.utils.core import RowLevelSecurityFilterType

    database = _pacte_database(db)
    tables = [
        t
        for t in db.session.query(SqlaTable).filter_by(database_id=database.id).all()
        if any(c.column_name == RLS_COLUMN for c in t.columns)
    ]
    roles = [r for r in sm.get_all_roles() if r.name.startswith(DEPARTEMENT_ROLE_PREFIX)]

    def upsert(name: str, kind: Any, clause: str, filter_roles: list[Any], description: str) -> None:
        rls = db.session.query(RowLevelSecurityFilter).filter_by(name=name).one_or_none()
        if rls is None:
            rls = RowLevelSecurityFilter(name=name)
            db.session.add(rls)
        rls.filter_type = kind
        rls.clause = clause
        rls.group_key = RLS_GROUP_KEY
        rls.description = description
        rls.tables = list(tables)
        rls.roles = list(filter_roles)

    for role in roles:
        code = role.name.removeprefix(DEPARTEMENT_ROLE_PREFIX)
        check_departement(code)  # the clause is built from the role name: never from free text
        upsert(
            role.name,
            RowLevelSecurityFilterType.REGULAR,
            f"{RLS_COLUMN} = '{code}'",
            [role],
            f"Lignes du département {code} seulement.",
        )
    admin = sm.find_role(ADMIN_ROLE)
    upsert(
        BASE_FILTER_NAME,
        RowLevelSecurityFilterType.BASE,
        "1 = 0",
        [admin, *roles],
        "Aucune ligne pour qui n'est ni administrateur ni rattaché à un département.",
    )
    db.session.commit()
    return {"tables": sorted(t.table_name for t in tables), "departements": sorted(r.name for r in roles)}


def ensure_user(identifiant: str, role_key: str, departements: list[str], password: str | None) -> bool:
    """Create or update a user; returns True when it was created."""
    from superset import db
    from superset import security_manager as sm

    if not re.fullmatch(r"[A-Za-z0-9._@-]{2,64}", identifiant):
        raise SecurityError(f"Identifiant invalide : « {identifiant} » (lettres, chiffres, . _ @ -).")
    role_name = {"admin": ADMIN_ROLE, "comite": COMITE_ROLE, "analyste": ANALYSTE_ROLE}[role_key]
    role = sm.find_role(role_name)
    if role is None:
        raise SecurityError(f"Rôle « {role_name} » absent : lancez d'abord « manage.py import ».")
    if role_key != "admin" and not departements:
        raise SecurityError("--departement est obligatoire pour les rôles comite et analyste.")
    roles = [role, *(ensure_departement_role(code) for code in departements)]
    user = sm.find_user(username=identifiant)
    created = user is None
    if created:
        if not password:
            raise SecurityError("Mot de passe requis pour créer un compte.")
        user = sm.add_user(identifiant, identifiant, role_key, f"{identifiant}@pacte.invalid", roles, password=password)
        if not user:
            raise SecurityError(f"Impossible de créer l'utilisateur « {identifiant} » (voir le journal Superset).")
    else:
        user.roles = roles
        if password:
            sm.reset_password(user.id, password)
    db.session.commit()
    sync_rls()
    return created
