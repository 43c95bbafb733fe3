"""dbt, the one way every path runs it: `DbtRunner` (in this process, or in a child process started at the
beginning of a run), with dbt's partial-parse state kept between builds and failures reported in French.

The profile points at the build file by a relative name (`PACTE_BUILD_DB`, from the build folder), so that
dbt's parse state stays valid from one build to the next; dbt-duckdb's process-wide DuckDB handle is released
around each build (`warehouse.adapter_shim`, the one place that touches dbt-duckdb's private state).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb

from ingestion.errors import PacteError
from warehouse.adapter_shim import own_duckdb_handle
from warehouse.reprise import Reprise, reprendre
from warehouse.workspace import BUILD_FILE, REPO_ROOT

DBT_PROJECT = REPO_ROOT / "dbt_project"
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
# (build file, work dir, reprise) → (models built, tests run); see warehouse.reprise for `reprise`.
DbtBuild = Callable[[Path, Path, Reprise | None], tuple[int, int]]


class BuildFailed(PacteError):
    """`dbt build` failed: `echecs` says in French which node broke which rule; `journal` is dbt's log."""

    def __init__(self, echecs: list[str], journal: str, total: int | None = None) -> None:
        self.echecs, self.journal = echecs, journal
        self.total = len(echecs) if total is None else total
        detail = "; ".join(echecs[:8]) + (f" ; … ({self.total - 8} de plus)" if self.total > 8 else "")
        conseil = ""
        if any("Out of Memory" in e for e in echecs):  # DuckDB's cap (dbt_project/profiles.yml)
            conseil = (f" Mémoire de construction insuffisante pour ces entrées : relancez avec une limite plus haute, "
                       f"par exemple PACTE_DUCKDB_MEMOIRE=1500MB (actuellement "
                       f"{os.environ.get('PACTE_DUCKDB_MEMOIRE', '900MB')}).")
        super().__init__(f"La construction dbt a échoué ({self.total} erreur(s)) : {detail}.{conseil} "
                         f"Journal : {journal}")

    def __reduce__(self) -> tuple[type, tuple[list[str], str, int]]:
        # Raised in the dbt child process (DbtRunner(background=True)) and sent back through a pipe.
        return (type(self), (self.echecs, self.journal, self.total))


# dbt generic tests (ours in macros/test_*.sql included) → the rule in French.
DBT_RULES_FR = {
    "not_null": "valeurs manquantes",
    "unique": "valeurs en double",
    "unique_combination": "clé en double ({columns})",
    "relationships": "code absent de la table de référence {to} ({field})",
    "accepted_values": "valeur hors de la liste autorisée ({values})",
    "expression_vraie": "règle non respectée : {expression}",
    "chaque_epci_present": "un EPCI du diagnostic est absent",
}


# Columns that name a territory in a failing row, in the order a reader expects them.
TERRITORY_LABELS = {"code_commune": "commune", "codgeo": "commune", "code_iris": "IRIS", "code_epci": "EPCI",
                    "code_departement": "département", "indicateur_id": "indicateur", "millesime": "millésime"}
NAME_COLUMNS = ("libelle_commune", "libelle_epci", "libelle", "nom")
SHOWN_ROWS = 5


def _describe_row(row: dict[str, Any]) -> str:
    parts = [f"{label} {row[c]}" for c, label in TERRITORY_LABELS.items() if row.get(c) is not None]
    if not parts:  # a rule on something else than a territory: its first values
        parts = [f"{k} = {v}" for k, v in list(row.items())[:3]]
    name = next((row[c] for c in NAME_COLUMNS if row.get(c)), None)
    return f"« {name} » ({', '.join(parts)})" if name else ", ".join(parts)


def failing_rows(node: Any, build_file: Path) -> str:
    """The territories a failed test is about, read from the build file (French, at most SHOWN_ROWS).

    A not_null test only returns the empty column, so its rows are re-read whole from the model to name the
    commune or EPCI; other tests return the offending rows (codes, keys) themselves. Best effort: the failure
    is reported anyway when the rows cannot be read."""
    meta = getattr(node, "test_metadata", None)
    model = (getattr(node, "attached_node", None) or "").rsplit(".", 1)[-1]
    try:
        with duckdb.connect(str(build_file), read_only=True) as con:
            if meta is not None and meta.name == "not_null" and model and getattr(node, "column_name", None):
                schema = con.execute("SELECT schema_name FROM duckdb_tables() WHERE table_name = $1 UNION ALL "
                                     "SELECT schema_name FROM duckdb_views() WHERE view_name = $1",
                                     [model]).fetchone()
                if schema is None:
                    return ""
                sql = f'SELECT * FROM "{schema[0]}"."{model}" WHERE "{node.column_name}" IS NULL'
            elif getattr(node, "compiled_code", None):
                sql = node.compiled_code
            else:
                return ""
            cur = con.execute(f"SELECT * FROM ({sql}) AS echecs LIMIT {SHOWN_ROWS + 1}")
            columns = [d[0] for d in cur.description]
            rows = [dict(zip(columns, r, strict=True)) for r in cur.fetchall()]
    except duckdb.Error:
        return ""
    if not rows:
        return ""
    shown = " ; ".join(_describe_row(r) for r in rows[:SHOWN_ROWS])
    return f" — en cause : {shown}" + (" ; …" if len(rows) > SHOWN_ROWS else "")


def describe_failure(result: Any, build_file: Path | None = None) -> str:
    """One failed dbt node, readable: `<node> : modèle M, colonne C : règle (n ligne(s) en échec) — en cause :
    <territoires>` (the territories when `build_file` can be read)."""
    node = result.node
    kind = node.resource_type
    message = " ".join(str(result.message or "").split())[:400]
    if kind == "test":
        meta = getattr(node, "test_metadata", None)
        model = (getattr(node, "attached_node", None) or "").rsplit(".", 1)[-1] or "?"
        if meta is None:  # a singular test (tests/*.sql)
            return f"{node.name} : test du projet en échec ({message})"
        kwargs = {k: (", ".join(map(str, v)) if isinstance(v, list) else v)
                  for k, v in (meta.kwargs or {}).items()}
        kwargs.setdefault("to", "?")
        kwargs.setdefault("field", "?")
        try:
            regle = DBT_RULES_FR.get(meta.name, f"test {meta.name}").format_map(kwargs)
        except (KeyError, ValueError):
            regle = f"test {meta.name}"
        column = getattr(node, "column_name", None) or kwargs.get("column_name")
        where = f"modèle {model}" + (f", colonne {column}" if column else "")
        lignes = f" ({result.failures} ligne(s) en échec)" if getattr(result, "failures", None) else ""
        territoires = failing_rows(node, build_file) if build_file is not None and str(result.status) == "fail" else ""
        return f"{node.name} : {where} : {regle}{lignes}{territoires}"
    if kind == "unit_test":
        return f"{node.name} : test unitaire du modèle {getattr(node, 'model', '?')} : {message}"
    return f"{node.name} : {message}" if message else f"{node.name} : {kind} en erreur"


def project_fingerprint() -> str:
    """SHA-256 of the dbt project's files (models, macros, seeds, tests, dbt_project.yml): a publication built
    by other code must be rebuilt even when no input file changed."""
    digest = hashlib.sha256()
    files = [DBT_PROJECT / "dbt_project.yml", *sorted(
        p for folder in ("models", "macros", "seeds", "tests") for p in (DBT_PROJECT / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts)]
    for path in files:
        digest.update(path.relative_to(DBT_PROJECT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


# dbt's partial-parse state, shared by every build of this checkout: a full parse of the project costs
# about 3 s more than a partial one. dbt checks it against the project files, its version and the profile.
PARSE_CACHE = REPO_ROOT / ".cache" / "dbt" / "partial_parse.msgpack"
PARSE_STATE = "partial_parse.msgpack"


@contextmanager
def _build_file_env(path: Path, chdir: bool = True) -> Iterator[None]:
    """Point the dbt profile at the build file by a *relative* name, from its folder.

    The profile's connection settings are part of dbt's parse state: an absolute path, different for every
    build, would invalidate partial parsing each run. The CLI and each Airflow task run builds one at a time
    in their own process, so changing the working directory for the call is safe."""
    env_before, cwd_before = os.environ.get("PACTE_BUILD_DB"), Path.cwd()
    os.environ["PACTE_BUILD_DB"] = path.name
    if chdir:
        os.chdir(path.parent)
    try:
        yield
    finally:
        os.chdir(cwd_before)
        if env_before is None:
            os.environ.pop("PACTE_BUILD_DB", None)
        else:
            os.environ["PACTE_BUILD_DB"] = env_before


def _reuse_parse_state(target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    if PARSE_CACHE.exists():
        shutil.copyfile(PARSE_CACHE, target / PARSE_STATE)


def _keep_parse_state(target: Path) -> None:
    """Save the state for the next build (atomically: builds of other workspaces may read it meanwhile)."""
    state = target / PARSE_STATE
    if not state.exists():
        return
    try:
        PARSE_CACHE.parent.mkdir(parents=True, exist_ok=True)
        tmp = PARSE_CACHE.with_suffix(f".{os.getpid()}.tmp")
        shutil.copyfile(state, tmp)
        os.replace(tmp, PARSE_CACHE)
    except OSError:  # a read-only checkout only loses the speed-up
        pass


DBT_ARGS = ["--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT), "--quiet", "--no-use-colors",
            # Debug-level file logging and the JSON artefacts cost about a second per build; the log keeps
            # every warning and error, which is what the French error message points to.
            "--log-level-file", "info", "--no-write-json"]


def parse_project(target: Path, extra: tuple[str, ...] = ()) -> Any:
    """dbt's manifest of the project (partial parse from the shared state when it is still valid);
    `extra`: more dbt arguments (e.g. `--vars` overriding a rule of dbt_project.yml)."""
    from dbt.cli.main import dbtRunner

    _reuse_parse_state(target)
    with _build_file_env(Path(BUILD_FILE), chdir=False):
        res = dbtRunner().invoke(["parse", "--target-path", str(target), "--log-path", str(target / "logs"), *DBT_ARGS,
                                   *extra])
    if not res.success:
        raise PacteError(f"Le projet dbt est invalide : {res.exception}. Journal : {target / 'logs' / 'dbt.log'}")
    _keep_parse_state(target)
    return res.result


def run_dbt(path: Path, work_dir: Path, reprise: Reprise | None = None, manifest: Any = None,
            extra: tuple[str, ...] = ()) -> tuple[int, int]:
    """`dbt build` into the build file; `manifest` (from `parse_project` with the same `extra`) skips the parse;
    `reprise`: the served version's tables to take back instead of building them (warehouse.reprise)."""
    from dbt.cli.main import dbtRunner

    target = work_dir / "dbt_target"
    _reuse_parse_state(target)
    if reprise is not None:
        if manifest is None:
            manifest = parse_project(target, extra)
        repris = reprendre(path, manifest, reprise)
        if repris:
            # Unit tests check the project's code on fixed rows, not the data: the served version, built by
            # this same project (reprise's condition), passed them; they sit on the critical path (≈ 2 s).
            extra = (*extra, "--exclude", *repris, "--exclude-resource-type", "unit_test")
    with _build_file_env(path), own_duckdb_handle():
        res = dbtRunner(manifest=manifest).invoke(
            ["build", "--target-path", str(target), "--log-path", str(work_dir / "dbt_logs"), *DBT_ARGS, *extra])
    results = list(res.result or []) if res.result is not None else []
    failed = [r for r in results if str(r.status) in {"error", "fail"}]
    if not res.success or failed:
        echecs = [describe_failure(r, path) for r in failed] or [str(res.exception)]
        raise BuildFailed(echecs, str(work_dir / "dbt_logs" / "dbt.log"), total=len(failed) or None)
    if manifest is None:
        _keep_parse_state(target)
    tests = sum(1 for r in results if r.node.resource_type in ("test", "unit_test"))
    return len(results) - tests, tests






def _serve(conn: Connection, extra: tuple[str, ...], target: Path) -> None:
    try:
        manifest, erreur = None, None
        try:
            manifest = parse_project(target, extra)
        except PacteError as exc:  # reported when the build is asked for
            erreur = str(exc)
        except Exception as exc:  # noqa: BLE001
            erreur = f"L'analyse du projet dbt a échoué : {type(exc).__name__} : {exc}"
        demande = conn.recv()
        if erreur:
            conn.send((False, PacteError(erreur)))
            return
        path, work_dir, reprise = demande
        try:
            conn.send((True, run_dbt(path, work_dir, reprise, manifest, extra)))
        except PacteError as exc:  # BuildFailed included: its failed nodes travel with it
            conn.send((False, exc))
        except Exception as exc:  # noqa: BLE001 — any failure must reach the run as a French message
            conn.send((False, PacteError(f"La construction dbt a échoué : {type(exc).__name__} : {exc}")))
    except (EOFError, KeyboardInterrupt):  # the run's process is gone or interrupted
        pass
    finally:
        conn.close()


class DbtRunner:
    """`dbt build` of one build file, for every path (`bin/pacte run`, the Airflow tasks, the demo):
    `with DbtRunner(...) as dbt: build(..., dbt_build=dbt.build)`.

    `background=False`: dbt is imported and run in this process when the build is asked for (Airflow tasks:
    their process has nothing else to do meanwhile). `background=True`: a child process is started at once,
    imports dbt and parses the project (≈ 4 s of CPU) while the run validates its files, then builds
    (`bin/pacte run`). `extra`: more dbt arguments for the parse and the build (e.g. `--vars` overriding a rule)."""

    def __init__(self, background: bool = False, extra: tuple[str, ...] = ()) -> None:
        self.extra = extra
        self._background = background
        self._used = False
        if not background:
            return
        # spawn, not fork: a fork copies locks held by other threads of the run's process (seen as a
        # deadlock in the test process); its imports overlap the validation anyway.
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        # Made here, removed in __exit__: the child may be stopped before it could clean up after itself.
        self._target = Path(tempfile.mkdtemp(prefix="pacte-dbt-parse-"))
        self._process = ctx.Process(target=_serve, args=(child, extra, self._target), name="pacte-dbt", daemon=True)
        self._process.start()
        child.close()

    def build(self, path: Path, work_dir: Path, reprise: Reprise | None = None) -> tuple[int, int]:
        if not self._background or self._used:  # one build per child: its manifest and adapter state
            return run_dbt(path, work_dir, reprise, extra=self.extra)
        self._used = True
        try:
            self._conn.send((path, work_dir, reprise))
            ok, resultat = self._conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            raise PacteError("Le processus de construction dbt s'est arrêté de façon inattendue (mémoire "
                              f"insuffisante ?). Journal : {work_dir / 'dbt_logs' / 'dbt.log'}") from None
        if not ok:
            raise resultat
        return resultat

    def __enter__(self) -> DbtRunner:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if not self._background:
            return
        if not self._used:
            # The run stopped before building (refused file, error): stop the child at once rather than wait
            # for it to finish importing dbt and parsing, which only delayed the user's error message.
            self._process.terminate()
        self._conn.close()
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        shutil.rmtree(self._target, ignore_errors=True)
        if self._process.pid is not None:  # a parse state copy the stopped child was writing
            PARSE_CACHE.with_suffix(f".{self._process.pid}.tmp").unlink(missing_ok=True)
