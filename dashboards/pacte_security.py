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
* `security_manager_class()` is Superset's security manager plus one rule for
  the accounts that may not explore (comité): a data request must be the query
  of a saved chart (or of a dashboard native filter), unchanged but for its
  filters. Superset lets any account that can read a dataset send any query to
  /api/v1/chart/data or /superset/explore_json/ (other columns, raw rows,
  `samples`, `drill_detail`, `results`, `query` result types): for the comité,
  that would be row-level data beyond what the charts show. superset_config.py
  installs it (CUSTOM_SECURITY_MANAGER).

RLS applies to chart and native-filter queries, not to SQL Lab: an analyste
reads the whole served file in SQL Lab.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path
from typing import Any

# The domain's reference facts (ingestion/reference.py, standard library only): Superset runs this file with
# dashboards/ on its path, not the repository root, which is appended (installed packages keep precedence).
if str(Path(__file__).resolve().parents[1]) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parents[1]))
from ingestion.reference import DEPARTEMENT_CODE  # noqa: E402

COMITE_ROLE = "comite"
ANALYSTE_ROLE = "analyste"
ADMIN_ROLE = "Admin"
DEPARTEMENT_ROLE_PREFIX = "departement_"
RLS_GROUP_KEY = "code_departement"
RLS_COLUMN = "code_departement"
BASE_FILTER_NAME = "pacte — aucun département : aucune ligne"

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
    ("can_samples", "Datasource"),  # drill to detail and samples: the rows behind a chart (RLS applies)
    ("can_csv", "Superset"),
    ("can_read", "Database"),
    ("menu_access", "Charts"),
    ("menu_access", "Datasets"),
    ("menu_access", "Data"),
]
SQL_LAB_ROLE = "sql_lab"  # built-in role synced by `superset init`
# /superset/explore_json/ flags that return the rows, the SQL or a file instead of the chart's data.
RAW_RESPONSE_FLAGS = ("csv", "xlsx", "query", "results", "samples", "drill_detail", "columns", "post_processed")
ACCES_LIMITE = "Accès limité aux graphiques des tableaux de bord : {}."


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
        raise SecurityError(f"Code département invalide : « {code} » (attendu : 01 à 95, 2A, 2B, 971 à 978, "
                            "984 à 989).")
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


# --------------------------------------------------------------------------- dashboard-only data access


def _column_name(ref: Any) -> str | None:
    """A column reference as a name: "libelle", or the SQL of an adhoc column (the x-axis of a bar chart)."""
    if isinstance(ref, str):
        return ref
    if isinstance(ref, dict):
        return ref.get("sqlExpression") or ref.get("column_name") or ref.get("label")
    return None


def _metric_name(ref: Any) -> str | None:
    """A saved metric by name; an adhoc metric by its SQL (aggregate(column) for a simple one)."""
    if isinstance(ref, str):
        return ref
    if isinstance(ref, dict):
        if ref.get("expressionType") == "SIMPLE":
            column = (ref.get("column") or {}).get("column_name")
            return f"{ref.get('aggregate')}({column})"
        return ref.get("sqlExpression") or ref.get("label")
    return None


def _names(values: Any, kind: str) -> set[str]:
    convert = _column_name if kind == "column" else _metric_name
    return {n for n in (convert(v) for v in (values if isinstance(values, list) else [values]) if v) if n}


def _saved_fields(params: dict[str, Any], query_context: dict[str, Any] | None) -> set[str]:
    """Every column and metric name a saved chart uses (params and saved query_context)."""
    fields: set[str] = set()
    for key in ("all_columns", "groupby", "columns", "series_columns", "x_axis", "order_by_cols", "line_column"):
        value = params.get(key) or []
        for ref in value if isinstance(value, list) else [value]:
            if key == "order_by_cols" and isinstance(ref, str):
                ref = json.loads(ref)[0]
            fields |= _names(ref, "column")
    for key in ("metrics", "percent_metrics", "metric", "timeseries_limit_metric", "size", "secondary_metric"):
        fields |= _names(params.get(key) or [], "metric")
    for query in (query_context or {}).get("queries") or []:
        fields |= _names(query.get("columns") or [], "column") | _names(query.get("metrics") or [], "metric")
    return fields


def _requested_fields(columns: Any, metrics: Any, orderby: Any) -> set[str]:
    fields = _names(columns or [], "column") | _names(metrics or [], "metric")
    for ref, *_ascending in orderby or []:
        fields |= _names(ref, "column") | _names(ref, "metric")
    return fields


def _limit_exceeded(requested: Any, saved: Any) -> bool:
    try:
        return saved is not None and requested is not None and int(requested) > int(saved)
    except (TypeError, ValueError):
        return True


def _sql(clause: Any) -> str:
    """A SQL filter, compared without spaces and parentheses (the frontend wraps each clause), after Superset's
    own rewriting of a request's clauses (sqlglot: « x IS NOT NULL » becomes « NOT x IS NULL »)."""
    text = str(clause or "")
    if text.strip():
        try:
            from superset.sql.parse import sanitize_clause

            text = sanitize_clause(text, "duckdb")
        except Exception:  # noqa: BLE001 - a clause sqlglot cannot read is compared as written
            pass
    return re.sub(r"[\s()]", "", text)


def _no_op_filter(query_filter: dict[str, Any]) -> bool:
    """A time range « No filter » (Superset adds one on the dataset's time column) narrows nothing."""
    return query_filter.get("op") == "TEMPORAL_RANGE" and query_filter.get("val") in ("No filter", None, "")


def _saved_filters(params: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(columns of the saved simple filters, saved SQL filters) of a chart."""
    columns, clauses = set(), {""}
    for adhoc in params.get("adhoc_filters") or []:
        if adhoc.get("expressionType") == "SQL":
            clauses.add(_sql(adhoc.get("sqlExpression")))
        elif name := _column_name(adhoc.get("subject")):
            columns.add(name)
    return columns, clauses


def _native_filter_columns() -> set[str]:
    """Columns the dashboards' native filters target: a chart may be filtered on them."""
    from superset import db
    from superset.models.dashboard import Dashboard

    return {
        target.get("column", {}).get("name")
        for (metadata,) in db.session.query(Dashboard.json_metadata).all()
        for native_filter in json.loads(metadata or "{}").get("native_filter_configuration", [])
        for target in native_filter.get("targets", [])
    }


def _filter_refusal(columns: set[str], clauses: set[str], allowed_columns: set[str], allowed_clauses: set[str]) -> str | None:
    """Filters narrow the chart's rows: on its columns or the dashboards' filter columns, SQL as saved."""
    if extra := columns - allowed_columns:
        return f"filtre sur des colonnes absentes du graphique ({', '.join(sorted(extra))})"
    if clauses - allowed_clauses:
        return "filtre SQL différent de celui du graphique"
    return None


def _query_context_refusal(query_context: Any) -> str | None:
    """Why this /api/v1/chart/data request is not a dashboard chart's or native filter's query (None: it is)."""
    from superset import db
    from superset.common.chart_data import ChartDataResultFormat, ChartDataResultType
    from superset.models.dashboard import Dashboard

    if query_context.result_type != ChartDataResultType.FULL:
        return f"les données brutes (« {query_context.result_type} ») sont réservées aux analystes"
    if query_context.result_format != ChartDataResultFormat.JSON:
        return "l'export des données est réservé aux analystes"
    form_data = query_context.form_data or {}
    datasource = query_context.datasource
    chart = query_context.slice_
    filter_columns = _native_filter_columns()
    if chart is None:
        # a native filter: the values of the column it targets, on its dataset, nothing else
        dashboard = db.session.get(Dashboard, form_data.get("dashboardId")) if form_data.get("dashboardId") else None
        filters = json.loads(dashboard.json_metadata or "{}").get("native_filter_configuration", []) if dashboard else []
        targets = {
            target.get("column", {}).get("name")
            for native_filter in filters
            if native_filter.get("id") == form_data.get("native_filter_id")
            for target in native_filter.get("targets", [])
            if target.get("datasetId") == datasource.id
        }
        if not targets:
            return "requête sans graphique ni filtre de tableau de bord"
        allowed, clauses = targets | {"count"}, {""}
    else:
        if (chart.datasource_id, chart.datasource_type) != (datasource.id, datasource.type):
            return "jeu de données différent de celui du graphique"
        params = json.loads(chart.params or "{}")
        saved_query_context = json.loads(chart.query_context) if chart.query_context else {}
        allowed = _saved_fields(params, saved_query_context)
        saved_columns, clauses = _saved_filters(params)
        filter_columns |= saved_columns
        for query in saved_query_context.get("queries") or []:
            clauses |= {_sql((query.get("extras") or {}).get(k)) for k in ("where", "having")}
    for query in query_context.queries:
        extra = _requested_fields(query.columns, query.metrics, query.orderby) - allowed
        if extra:
            return f"colonnes ou mesures absentes du graphique ({', '.join(sorted(extra))})"
        if chart is not None and _limit_exceeded(query.row_limit, json.loads(chart.params or "{}").get("row_limit")):
            return "plus de lignes que le graphique"
        refusal = _filter_refusal(
            {n for f in query.filter or [] if (n := _column_name(f.get("col"))) and not _no_op_filter(f)},
            {_sql((query.extras or {}).get(k)) for k in ("where", "having")},
            allowed | filter_columns,
            clauses,
        )
        if refusal:
            return refusal
    return None


def _viz_refusal(viz: Any) -> str | None:
    """Why this /superset/explore_json/ request (deck.gl maps) is not a saved chart's query (None: it is)."""
    from flask import has_request_context, request
    from superset import db
    from superset.models.slice import Slice

    if has_request_context() and any(request.args.get(flag) == "true" for flag in RAW_RESPONSE_FLAGS):
        return "les données brutes, la requête SQL et les exports sont réservés aux analystes"
    form_data = viz.form_data or {}
    chart = db.session.get(Slice, form_data["slice_id"]) if form_data.get("slice_id") else None
    if chart is None:
        return "requête sans graphique enregistré"
    if (chart.datasource_id, chart.datasource_type) != (viz.datasource.id, viz.datasource.type):
        return "jeu de données différent de celui du graphique"
    saved = chart.form_data
    if form_data.get("viz_type") != chart.viz_type or form_data.get("deck_slices") != saved.get("deck_slices"):
        return "type de graphique ou couches différents du graphique enregistré"
    try:  # on fresh copies: building a query object changes the viz (null filters)
        requested = type(viz)(datasource=viz.datasource, form_data=copy.deepcopy(form_data)).query_obj()
        reference = type(viz)(datasource=viz.datasource, form_data=copy.deepcopy(saved)).query_obj()
    except Exception:  # noqa: BLE001 - a request the chart's own code cannot build is not the chart's
        return "requête différente de celle du graphique"
    for query in (requested, reference):
        query["fields"] = _requested_fields(
            [*(query.get("columns") or []), *(query.get("groupby") or [])], query.get("metrics"), query.get("orderby")
        )
    if not requested["fields"] <= reference["fields"]:
        return f"colonnes ou mesures absentes du graphique ({', '.join(sorted(requested['fields'] - reference['fields']))})"
    if _limit_exceeded(requested.get("row_limit"), reference.get("row_limit")):
        return "plus de lignes que le graphique"
    requested_columns, requested_clauses = _saved_filters(form_data)
    saved_columns, saved_clauses = _saved_filters(saved)
    requested_columns |= {n for f in form_data.get("extra_filters") or [] if (n := _column_name(f.get("col")))}
    requested_clauses |= {_sql(form_data.get(k)) for k in ("where", "having")}
    return _filter_refusal(
        requested_columns,
        requested_clauses,
        reference["fields"] | saved_columns | _native_filter_columns(),
        saved_clauses | {_sql(saved.get(k)) for k in ("where", "having")},
    )


def _served_version(datasource: Any) -> str | None:
    """Identity of the DuckDB file a dataset reads: publication replaces the file (new inode)."""
    import os

    try:
        from sqlalchemy.engine.url import make_url

        path = make_url(datasource.database.sqlalchemy_uri).database
        stat = os.stat(path) if path else None
    except Exception:  # noqa: BLE001 - no file (yet): no version, Superset's key as is
        return None
    return f"{stat.st_ino}-{stat.st_mtime_ns}" if stat else None


def security_manager_class() -> type:
    """Superset's security manager, plus: accounts that may not explore only get the data of saved charts."""
    from superset.errors import ErrorLevel, SupersetError, SupersetErrorType
    from superset.exceptions import SupersetSecurityException
    from superset.security import SupersetSecurityManager

    class PacteSecurityManager(SupersetSecurityManager):
        def get_rls_cache_key(self, datasource: Any) -> list[str]:
            """Superset keys its query-result cache with the user's RLS clauses; the served file's version is
            added, so that a new publication is shown at once instead of cached rows of the previous one."""
            key = super().get_rls_cache_key(datasource)
            version = _served_version(datasource)
            return [*key, f"version:{version}"] if version else key

        def limited_to_dashboards(self) -> bool:
            """Comité accounts: neither administrator nor allowed to explore."""
            return not self.is_admin() and not self.can_access("can_explore", "Superset")

        def raise_for_access(self, *args: Any, **kwargs: Any) -> None:
            super().raise_for_access(*args, **kwargs)
            query_context, viz = kwargs.get("query_context"), kwargs.get("viz")
            if (query_context is None and viz is None) or not self.limited_to_dashboards():
                return
            reason = _query_context_refusal(query_context) if query_context is not None else _viz_refusal(viz)
            if reason:
                raise SupersetSecurityException(
                    SupersetError(
                        error_type=SupersetErrorType.DATASOURCE_SECURITY_ACCESS_ERROR,
                        message=ACCES_LIMITE.format(reason),
                        level=ErrorLevel.WARNING,
                    )
                )

    return PacteSecurityManager
