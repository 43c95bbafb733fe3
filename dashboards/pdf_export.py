"""A dashboard as a PDF for a comité meeting: every chart of the spec, every row of every table.

Superset's own « download as PDF » is a picture of the screen (scrolled tables keep their visible rows).
This renders the same dashboard from the same spec (dashboards/spec) and the served DuckDB file: tables in
full with French headers and number formats, bars and maps drawn as images (maps offline, from the
warehouse's outlines), the source line under each chart, a header naming the département and the
published version, page numbers. Rows are those of the given département(s) only: the caller (the Superset
route in pacte_web.py) passes the départements of the logged-in account, never a free choice.

    python dashboards/pdf_export.py --served var/…/pacte.duckdb --departement 16 --tableau synthese-territoire \
        --sortie synthese.pdf
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script, or imported by superset_config (dashboards/ on sys.path)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboards.bundle_builder.model import Chart, Spec, load_spec  # noqa: E402
from dashboards.bundle_builder.render import _excluded  # noqa: E402

AXE_COLORS = {"1": "#1f77b4", "2": "#ff7f0e", "3": "#9467bd", "4": "#2ca02c"}
CSS = """
@page { size: A4 landscape; margin: 14mm 12mm 14mm 12mm;
  @top-left { content: string(titre); font-size: 8pt; color: #555; }
  @top-right { content: string(territoire); font-size: 8pt; color: #555; }
  @bottom-right { content: "page " counter(page) " / " counter(pages); font-size: 8pt; color: #555; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 8.5pt; color: #1f2937; hyphens: auto; }
h1 { font-size: 16pt; string-set: titre content(); margin: 0 0 2mm 0; }
.territoire { string-set: territoire content(); color: #374151; margin-bottom: 4mm; }
h2 { font-size: 11pt; margin: 5mm 0 1.5mm 0; break-after: avoid; }
h3 { font-size: 10pt; }
.chart { margin-bottom: 3mm; }
.figure-bloc { break-inside: avoid; }
.source { font-size: 7pt; color: #4b5563; margin-top: 1mm; }
table { border-collapse: collapse; width: 100%; font-size: 7pt; }
thead { display: table-header-group; }
th { background: #e5e7eb; text-align: left; padding: 1mm; border-bottom: 0.3mm solid #9ca3af; }
td { padding: 0.8mm 1mm; border-bottom: 0.1mm solid #e5e7eb; vertical-align: top; }
td.n { text-align: right; white-space: nowrap; }
tr { break-inside: avoid; }
img.figure { max-width: 100%; max-height: 160mm; }
.nombre { font-size: 28pt; font-weight: bold; }
.vide { color: #6b7280; font-style: italic; }
"""


class ExportError(Exception):
    """In French: shown to the user."""


@dataclass(frozen=True)
class Rendered:
    title: str
    html: str


# --------------------------------------------------------------------------- numbers and SQL


def french_number(value: Any, d3: str | None) -> str:
    """A number in French (non-breaking thousands, decimal comma) for a d3 format such as ",.1f", "+,.2f", "d"."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    match = re.fullmatch(r"(\+)?,?\.?(\d+)?[fd%]?", d3 or ",.1f")
    sign = "+" if match and match.group(1) else ""
    decimals = int(match.group(2)) if match and match.group(2) else (0 if (d3 or "").endswith("d") else 1)
    if isinstance(value, int) and not (d3 or "").endswith("f"):
        decimals = 0
    text = f"{value:{sign},.{decimals}f}"
    return text.replace(",", "\u00a0").replace(".", ",")


def _quote(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _condition(column: str, op: str, value: Any) -> str:
    ident = f'"{column}"'
    if op == "IN":
        return f"{ident} IN ({', '.join(_quote(v) for v in value)})"
    if op == "==":
        return f"{ident} = {_quote(value)}"
    if op in ("IS NOT NULL", "IS NULL", "IS TRUE", "IS FALSE"):
        return f"{ident} {op}"
    raise ExportError(f"opérateur de filtre non géré : {op}")


def chart_query(spec: Spec, chart: Chart, departements: list[str], dashboard_filters: list[str]) -> tuple[str, list[str]]:
    """(SQL over the served marts, output columns) of a chart, restricted to the départements given, with the
    default values of the dashboard's filters that reach it (the « Indicateur » one)."""
    dataset = spec.datasets[chart.dataset]
    table = f'{dataset.schema}."{dataset.table}"'
    where = [_condition(c, o, v) for c, o, v in chart.filters]
    if chart.where:
        where.append(f"({chart.where})")
    if dataset.has_column("code_departement"):
        where.append(_condition("code_departement", "IN", departements))
    for key in dashboard_filters:
        f = spec.filters[key]
        if f.default and not _excluded(spec, key, chart):
            where.append(_condition(f.column, "IN", [f.default]))
    metrics = {m.name: m.expression for m in dataset.metrics}
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    if chart.viz == "table_raw":  # rows as they are: ordered by columns
        order = ", ".join(f'"{o[0]}" {"ASC" if o[1] else "DESC"} NULLS LAST' for o in chart.orderby)
    else:
        order = ", ".join(f'{metrics.get(o[0], chr(34) + o[0] + chr(34))} {"ASC" if o[1] else "DESC"}'
                          for o in chart.orderby)
    if chart.viz == "table_raw":
        cols = ", ".join(f'"{c}"' for c in chart.columns)
        sql = f"SELECT {cols} FROM {table}{clause}" + (f" ORDER BY {order}" if order else "")
        return sql + f" LIMIT {chart.row_limit}", list(chart.columns)
    if chart.viz in ("table_agg", "big_number", "bar"):
        dims = [*([f"{chart.x_axis} AS x"] if chart.viz == "bar" else []), *(f'"{c}"' for c in chart.columns)]
        names = [*(["x"] if chart.viz == "bar" else []), *chart.columns, *chart.metrics]
        select = ", ".join([*dims, *(f"{metrics[m]} AS \"{m}\"" for m in chart.metrics)])
        group = f" GROUP BY {', '.join(str(i + 1) for i in range(len(dims)))}" if dims else ""
        having = f" HAVING {chart.having}" if chart.having else ""
        if chart.viz == "bar":
            order = f'"{chart.metrics[0]}" DESC'
        return f"SELECT {select} FROM {table}{clause}{group}{having}" + (f" ORDER BY {order}" if order else "") + \
            f" LIMIT {chart.row_limit}", names
    if chart.viz == "map":
        (metric,) = chart.metrics
        label = chart.tooltip[0] if chart.tooltip else "libelle"
        return (f'SELECT contour, "{label}" AS etiquette, {metrics[metric]} AS valeur FROM {table}{clause} '
                f"GROUP BY 1, 2 LIMIT {chart.row_limit}", ["contour", "etiquette", "valeur"])
    if chart.viz == "points":
        return (f'SELECT longitude, latitude, axe FROM {table}{clause} LIMIT {chart.row_limit}',
                ["longitude", "latitude", "axe"])
    raise ExportError(f"type de graphique non exporté : {chart.viz}")


# --------------------------------------------------------------------------- figures


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _bar_png(rows: list[tuple[Any, ...]], d3: str | None) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [str(r[0]) for r in rows][::-1]
    values = [float(r[-1] or 0) for r in rows][::-1]
    figure, axes = plt.subplots(figsize=(9, max(1.6, 0.32 * len(rows) + 0.6)))
    axes.barh(labels, values, color="#1f77b4")
    for y, v in enumerate(values):
        axes.annotate(french_number(v, d3), (v, y), xytext=(3, 0), textcoords="offset points", va="center",
                      ha="left" if v >= 0 else "right", fontsize=7)
    axes.tick_params(labelsize=7)
    axes.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _p: french_number(x, d3)))
    if (d3 or "").endswith("d"):
        axes.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def _rings(rows: list[tuple[Any, ...]]) -> list[tuple[list[list[float]], Any]]:
    return [(json.loads(contour), value) for contour, _label, value in rows if contour]


def _classes(values: list[float], n: int = 5) -> list[float]:
    """Class bounds at the quantiles of the values, without repeats (a few distinct values give fewer classes)."""
    values = sorted(values)
    bounds = sorted({values[min(len(values) - 1, round(i * (len(values) - 1) / n))] for i in range(n + 1)})
    return bounds if len(bounds) > 1 else [bounds[0], bounds[0]]


def _map_png(rows: list[tuple[Any, ...]], d3: str | None, points: list[tuple[float, float, str]] | None = None,
             cmap: str = "OrRd") -> str:
    import matplotlib

    matplotlib.use("Agg")
    import math

    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch, Polygon

    rings = _rings(rows)
    if not rings:
        raise ExportError("carte sans contour")
    values = [float(v) for _r, v in rings if v is not None]
    bounds = _classes(values) if values else [0, 1]
    colours = plt.get_cmap(cmap)
    figure, axes = plt.subplots(figsize=(8, 7))
    lats = [lat for ring, _v in rings for _lon, lat in ring]
    for ring, value in rings:
        if value is None:
            face = "#f3f4f6"
        else:
            k = max([i for i in range(len(bounds) - 1) if value >= bounds[i]] or [0])
            face = colours(0.15 + 0.8 * k / max(1, len(bounds) - 2))
        axes.add_patch(Polygon(ring, closed=True, facecolor=face, edgecolor="#374151", linewidth=0.4))
    if points:
        for axe, colour in AXE_COLORS.items():
            xs = [p[0] for p in points if p[2] == axe]
            ys = [p[1] for p in points if p[2] == axe]
            axes.scatter(xs, ys, s=10, color=colour, edgecolors="white", linewidths=0.3, zorder=3)
    axes.autoscale_view()
    axes.set_aspect(1 / math.cos(math.radians(sum(lats) / len(lats))))
    axes.axis("off")
    handles = [Patch(facecolor=colours(0.15 + 0.8 * k / max(1, len(bounds) - 2)), edgecolor="#374151",
                     label=f"{french_number(bounds[k], d3)} à {french_number(bounds[k + 1], d3)}")
               for k in range(len(bounds) - 1) if len(set(bounds)) > 1]
    if points:
        handles += [Patch(facecolor=c, label=f"axe {a}") for a, c in AXE_COLORS.items()]
    if handles:
        axes.legend(handles=handles, loc="lower left", fontsize=7, frameon=True)
    return _png(figure)


# --------------------------------------------------------------------------- HTML


def _cell(value: Any, d3: str | None) -> str:
    if value is None:
        return "<td></td>"
    if isinstance(value, bool):
        return f"<td>{'oui' if value else 'non'}</td>"
    if isinstance(value, int) and d3 is None and 1900 <= value <= 2100:
        return f'<td class="n">{value}</td>'  # a millésime, not a quantity
    if isinstance(value, int | float):
        return f'<td class="n">{escape(french_number(value, d3 or (",d" if isinstance(value, int) else None)))}</td>'
    if isinstance(value, datetime):
        return f"<td>{value:%d/%m/%Y %H:%M}</td>"
    return f"<td>{escape(str(value))}</td>"


def render_chart(con: Any, spec: Spec, chart: Chart, departements: list[str], dashboard_filters: list[str]) -> Rendered:
    dataset = spec.datasets[chart.dataset]
    labels = {c.name: c.libelle for c in dataset.columns} | {m.name: m.libelle for m in dataset.metrics}
    formats = {m.name: m.format for m in dataset.metrics} | chart.formats
    if chart.viz == "multi":
        background = spec.charts[chart.layers[0]]
        sql, _ = chart_query(spec, background, departements, dashboard_filters)
        rows = con.execute(sql).fetchall()
        points: list[tuple[float, float, str]] = []
        for key in chart.layers[1:]:
            sql, _ = chart_query(spec, spec.charts[key], departements, dashboard_filters)
            points += [(lon, lat, axe) for lon, lat, axe in con.execute(sql).fetchall()]
        body = f'<img class="figure" src="{_map_png(rows, formats.get(background.metrics[0]), points, "Greys")}">' \
            if rows else '<p class="vide">Aucune donnée pour ce territoire.</p>'
    else:
        sql, names = chart_query(spec, chart, departements, dashboard_filters)
        rows = con.execute(sql).fetchall()
        if not rows:
            body = '<p class="vide">Aucune donnée pour ce territoire.</p>'
        elif chart.viz in ("table_raw", "table_agg"):
            head = "".join(f"<th>{escape(labels.get(n, n))}</th>" for n in names)
            lines = "".join("<tr>" + "".join(_cell(v, formats.get(n)) for n, v in zip(names, row, strict=True)) + "</tr>"
                            for row in rows)
            body = f"<table><thead><tr>{head}</tr></thead><tbody>{lines}</tbody></table>"
        elif chart.viz == "big_number":
            body = f'<p class="nombre">{escape(french_number(rows[0][0], formats.get(chart.metrics[0])))}</p>' \
                   f"<p>{escape(chart.subheader)}</p>"
        elif chart.viz == "bar":
            body = f'<img class="figure" src="{_bar_png(rows, formats.get(chart.metrics[0]))}">'
        else:  # map
            cmap = {"schemeOrRd": "OrRd", "white_black": "Greys", "blue_white_yellow": "cividis"}.get(chart.scheme, "YlGnBu")
            body = f'<img class="figure" src="{_map_png(rows, formats.get(chart.metrics[0]), cmap=cmap)}">'
    description = f"<p>{escape(chart.description)}</p>" if chart.description else ""
    kept_together = "" if body.startswith("<table") else " figure-bloc"
    return Rendered(chart.name, f'<div class="chart{kept_together}"><h2>{escape(chart.name)}</h2>{description}{body}'
                                f'<p class="source">Source : {escape(chart.source)}</p></div>')


def dashboard_html(served: Path, slug: str, departements: list[str], spec: Spec | None = None) -> str:
    import duckdb
    import markdown

    spec = spec or load_spec()
    dashboards = {d.slug: d for d in spec.dashboards}
    if slug not in dashboards:
        raise ExportError(f"tableau de bord inconnu : « {slug} » (connus : {', '.join(sorted(dashboards))})")
    if not departements:
        raise ExportError("aucun département : le document ne contiendrait aucune ligne")
    dash = dashboards[slug]
    con = duckdb.connect(str(served), read_only=True)
    try:
        names = dict(con.execute(
            "SELECT DISTINCT code_departement, libelle FROM marts.indicateurs_t0 WHERE niveau = 'departement'"
        ).fetchall())
        version = _version(served)
        parts = [render_chart(con, spec, spec.charts[key], departements, dash.filters).html
                 for key in dash.chart_keys()]
    finally:
        con.close()
    territoire = ", ".join(f"{names.get(d, d)} ({d})" for d in departements)
    intro = markdown.markdown(re.sub(r"^#+ .*\n", "", dash.intro), output_format="html")
    return (f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{escape(dash.title)}</title>'
            f"<style>{CSS}</style></head><body><h1>{escape(dash.title)}</h1>"
            f'<p class="territoire">Département : {escape(territoire)} — entrepôt publié {escape(version)}</p>'
            f"{intro}{''.join(parts)}</body></html>")


def _version(served: Path) -> str:
    publication = served.parent / "publication.json"
    try:
        data = json.loads(publication.read_text(encoding="utf-8"))
        return f"le {data['publie_le'][:10]} (version {data['version']})"
    except (OSError, ValueError, KeyError):
        return f"le {datetime.fromtimestamp(served.stat().st_mtime):%Y-%m-%d}"


def dashboard_pdf(served: Path, slug: str, departements: list[str], out: Path, spec: Spec | None = None) -> Path:
    from weasyprint import HTML

    html = dashboard_html(served, slug, departements, spec)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    HTML(string=html).write_pdf(tmp)
    tmp.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Un tableau de bord en PDF pour un comité.")
    parser.add_argument("--served", type=Path, required=True, help="fichier DuckDB servi")
    parser.add_argument("--departement", action="append", required=True, help="département (répétable)")
    parser.add_argument("--tableau", required=True, help="slug du tableau de bord, ex. synthese-territoire")
    parser.add_argument("--sortie", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        dashboard_pdf(args.served, args.tableau, args.departement, args.sortie)
    except ExportError as exc:
        print(f"ERREUR : {exc}", file=sys.stderr)
        return 2
    print(f"PDF écrit : {args.sortie}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
