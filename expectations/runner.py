"""Run a format's GX suite on the reader's control frames (ephemeral context, pandas datasource).

Results are translated into French `Issue`s (file line numbers come from the frame index) and
rendered as a standalone HTML report kept next to the quarantined file.
"""

from __future__ import annotations

import functools
import html
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from expectations.suites import build_suite
from ingestion.errors import Issue

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("TQDM_DISABLE", "1")

REGLES_FR = {
    "expect_table_row_count_to_be_between": "nombre de lignes hors des bornes attendues",
    "expect_table_columns_to_match_set": "colonne(s) attendue(s) absente(s)",
    "expect_column_values_to_not_be_null": "valeurs manquantes",
    "expect_column_values_to_match_regex": "format de valeur invalide",
    "expect_column_values_to_be_unique": "code en double",
    "expect_compound_columns_to_be_unique": "clé en double",
    "expect_column_values_to_be_between": "valeur hors de l'intervalle autorisé",
    "expect_column_values_to_be_in_set": "valeur hors de la liste autorisée",
    "expect_column_values_to_be_null": "valeur publiée là où la série n'existe pas (doit être vide)",
    "expect_column_value_lengths_to_be_between": "longueur de texte hors des bornes",
}


@dataclass
class ValidationResult:
    ok: bool
    issues: list[Issue]
    details: list[dict[str, Any]]


def _describe(res: Any) -> Issue:
    cfg = res.expectation_config
    kwargs = cfg.kwargs
    r = res.result or {}
    # A suite may state its rule in French (`description=`) where GX's generic wording would not say what is wrong.
    regle = cfg.description or REGLES_FR.get(cfg.type, cfg.type)
    if "min_value" in kwargs or "max_value" in kwargs:
        lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
        regle += f" [{'' if lo is None else lo} ; {'' if hi is None else hi}]"
    if cfg.type == "expect_table_columns_to_match_set":
        missing = (r.get("details") or {}).get("mismatched", {}).get("missing", [])
        return Issue(regle=regle, colonne=", ".join(missing) or None)
    if cfg.type == "expect_table_row_count_to_be_between":
        return Issue(regle=f"{regle} (observé : {r.get('observed_value')})")
    column = kwargs.get("column") or ", ".join(kwargs.get("column_list", []))
    return Issue(regle=regle, colonne=column, lignes=[_line(i) for i in r.get("partial_unexpected_index_list", [])],
                    exemples=[str(v) for v in r.get("partial_unexpected_list", [])], nb=r.get("unexpected_count"))


def _line(index: Any) -> int:
    # Compound-column expectations report {"ligne": n, ...} instead of a bare index.
    return int(index.get("ligne", -1)) if isinstance(index, dict) else int(index)


@functools.cache
def _batch_definition() -> Any:
    """One ephemeral context per process: building one per file costs more than small files' checks."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    return ctx.data_sources.add_pandas("controle").add_dataframe_asset("controle").add_batch_definition_whole_dataframe(
        "tout")


def prepare() -> None:
    """Import GX and build this process's context now (the validation workers' fork server: expectations.preload)."""
    _batch_definition()


def validate(suite_name: str, lecture: Any) -> ValidationResult:
    """Check every control frame. A conforming file (the everyday case) is checked with GX's cheapest result
    format (BOOLEAN_ONLY: no unexpected-value lists, about half the CPU); a refused one is checked again
    with SUMMARY so that its anomalies name columns, lines and examples."""
    if _results(suite_name, lecture, "BOOLEAN_ONLY")[0]:
        return ValidationResult(ok=True, issues=[], details=[])
    _, anomalies, details = _results(suite_name, lecture, "SUMMARY")
    return ValidationResult(ok=not anomalies, issues=anomalies, details=details)


def _results(suite_name: str, lecture: Any, result_format: str) -> tuple[bool, list[Issue], list[dict[str, Any]]]:
    import great_expectations as gx

    batch_definition = _batch_definition()
    # Workbook readers name the sheet each control frame comes from: a refusal names it.
    feuilles: dict[str, str] = (getattr(lecture, "info", None) or {}).get("feuille_de", {})
    issues: list[Issue] = []
    details: list[dict[str, Any]] = []
    for frame_name, expectations in build_suite(suite_name, lecture).items():
        if not expectations:
            continue
        batch = batch_definition.get_batch(batch_parameters={"dataframe": lecture.checks[frame_name]})
        suite = gx.ExpectationSuite(name=f"{suite_name}.{frame_name}", expectations=expectations)
        result = batch.validate(suite, result_format=result_format)
        if result_format == "BOOLEAN_ONLY":
            if not result.success:
                return False, [], []
            continue
        for res in result.results:
            entry = {"controle": feuilles.get(frame_name, frame_name), "attente": res.expectation_config.type,
                     "regle": res.expectation_config.description or REGLES_FR.get(res.expectation_config.type,
                                                                                  res.expectation_config.type),
                     "parametres": {k: v for k, v in res.expectation_config.kwargs.items() if k != "batch_id"},
                     "succes": bool(res.success), "resultat": _jsonable(res.result)}
            details.append(entry)
            if not res.success:
                issue = _describe(res)
                issue.feuille = feuilles.get(frame_name)
                issues.append(issue)
    return not issues, issues, details


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def write_report(path: Path, fichier: str, suite_name: str, resultat: ValidationResult) -> None:
    """Full report as HTML (+ JSON beside it) in French."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".json").write_text(json.dumps({"fichier": fichier, "suite": suite_name,
                                                     "succes": resultat.ok, "controles": resultat.details},
                                                    ensure_ascii=False, indent=2), encoding="utf-8")
    rows = "".join(
        f"<tr class={'ok' if d['succes'] else 'ko'}><td>{html.escape(d['controle'])}</td>"
        f"<td>{html.escape(d.get('regle') or REGLES_FR.get(d['attente'], d['attente']))}</td>"
        f"<td><code>{html.escape(json.dumps(d['parametres'], ensure_ascii=False))}</code></td>"
        f"<td>{'réussi' if d['succes'] else 'ÉCHEC'}</td>"
        f"<td><code>{html.escape(json.dumps(d['resultat'], ensure_ascii=False)[:600])}</code></td></tr>"
        for d in resultat.details)
    path.write_text(
        "<!doctype html><html lang=fr><meta charset=utf-8><title>Rapport de validation</title>"
        "<style>body{font-family:sans-serif}td{border:1px solid #ccc;padding:4px;vertical-align:top}"
        ".ko{background:#fdd}.ok{background:#efe}</style>"
        f"<h1>Rapport de validation — {html.escape(fichier)}</h1>"
        f"<p>Suite Great Expectations : <b>{html.escape(suite_name)}</b> — "
        f"{'fichier conforme' if resultat.ok else 'fichier refusé'}</p>"
        "<table><tr><th>Contrôle</th><th>Règle</th><th>Paramètres</th><th>Résultat</th><th>Détail</th></tr>"
        f"{rows}</table></html>", encoding="utf-8")
