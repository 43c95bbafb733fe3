"""The dashboards spec and the marts it reads, loaded and checked (French messages: they reach the people
who edit the spec)."""

from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
SPEC_DIR = REPO / "dashboards" / "spec"
DBT_PROJECT = REPO / "dbt_project"
NAMESPACE = uuid.UUID("6f1c1d1e-4a38-4c57-9a43-2b0c7e1f0a16")
VIZ = {"table_raw", "table_agg", "bar", "big_number", "map", "points", "multi"}
# A chart over a dataset with several millésimes that aggregates must say which millésime it shows.
LATEST_FLAG = "est_dernier_millesime"


class SpecError(Exception):
    """An inconsistency of the spec, in French."""


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    libelle: str
    description: str


@dataclass(frozen=True)
class Metric:
    name: str
    libelle: str
    expression: str
    format: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Dataset:
    key: str
    table: str
    schema: str
    description: str
    columns: tuple[Column, ...]
    metrics: tuple[Metric, ...]
    uuid: str

    def has(self, name: str) -> bool:
        return any(c.name == name for c in self.columns) or any(m.name == name for m in self.metrics)

    def has_column(self, name: str) -> bool:
        return any(c.name == name for c in self.columns)


@dataclass
class Chart:
    key: str
    name: str
    viz: str
    dataset: str
    source: str
    description: str = ""
    columns: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    x_axis: str | None = None
    x_axis_label: str | None = None
    filters: list[list[Any]] = field(default_factory=list)  # [column, operator, value]
    where: str = ""
    having: str = ""
    orderby: list[list[Any]] = field(default_factory=list)  # [column or metric, ascending]
    formats: dict[str, str] = field(default_factory=dict)
    subheader: str = ""
    horizontal: bool = True
    row_limit: int = 1000
    color: list[int] | None = None
    radius: int = 4
    scheme: str = "superset_seq_1"
    opacity: int = 85
    layers: list[str] = field(default_factory=list)
    tooltip: list[str] = field(default_factory=list)
    legend_format: str = ",.1f"
    dernier_millesime: bool = False  # rows of each indicator's latest millésime only
    compare_millesimes: bool = False  # aggregates across millésimes on purpose (side-by-side comparison)
    indicateur_fixe: bool = False  # the « Indicateur » and « Axe » filters do not apply
    filtres_exclus: list[str] = field(default_factory=list)  # native filters that must not reach the chart
    uuid: str = ""

    def __post_init__(self) -> None:
        self.uuid = self.uuid or str(uuid.uuid5(NAMESPACE, f"chart:{self.key}"))


@dataclass(frozen=True)
class Filter:
    key: str
    libelle: str
    column: str
    dataset: str
    description: str
    single: bool = False
    search: bool = True
    default: str | None = None
    cascade: tuple[str, ...] = ()


@dataclass
class Dashboard:
    slug: str
    title: str
    intro: str
    rows: list[list[list[Any]]]  # [[chart key, width, height], ...] per row
    filters: list[str]
    uuid: str = ""

    def __post_init__(self) -> None:
        self.uuid = self.uuid or str(uuid.uuid5(NAMESPACE, f"dashboard:{self.slug}"))

    def chart_keys(self) -> list[str]:
        return [key for row in self.rows for key, *_size in row]


@dataclass
class Spec:
    datasets: dict[str, Dataset]
    charts: dict[str, Chart]
    filters: dict[str, Filter]
    dashboards: list[Dashboard]
    database_uuid: str
    public_url_placeholder: str

    def chart_datasets(self, chart: Chart) -> list[Dataset]:
        """The chart's dataset, then its layers' (a multi-layer map passes its filters to every layer)."""
        return [self.datasets[chart.dataset], *(self.datasets[self.charts[k].dataset] for k in chart.layers)]


def _read_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def mart_columns(dbt_project: Path = DBT_PROJECT) -> dict[str, tuple[Column, ...]]:
    """Columns of every mart, in contract order, with their French label (meta.libelle)."""
    found: dict[str, tuple[Column, ...]] = {}
    for path in sorted((dbt_project / "models" / "marts").glob("*/_*__models.yml")):
        for model in _read_yaml(path)["models"]:
            found[model["name"]] = tuple(
                Column(c["name"], c["data_type"].upper(), (c.get("meta") or {}).get("libelle") or c["name"],
                       c.get("description", ""))
                for c in model["columns"]
            )
    return found


def unit_formats(dbt_project: Path = DBT_PROJECT) -> dict[str, str]:
    """indicateur_id → d3 number format of its unit (seeds ref_indicateurs and ref_unites)."""
    seeds = dbt_project / "seeds"
    with (seeds / "ref_unites.csv").open(encoding="utf-8") as fh:
        formats = {r["unite"]: r["format_d3"] for r in csv.DictReader(fh)}
    with (seeds / "ref_indicateurs.csv").open(encoding="utf-8") as fh:
        return {r["indicateur_id"]: formats[r["unite"]] for r in csv.DictReader(fh)}


def load_spec(spec_dir: Path = SPEC_DIR, dbt_project: Path = DBT_PROJECT) -> Spec:
    marts = mart_columns(dbt_project)
    formats = unit_formats(dbt_project)
    raw_datasets = _read_yaml(spec_dir / "datasets.yml")
    raw_charts = _read_yaml(spec_dir / "charts.yml")
    raw_dashboards = _read_yaml(spec_dir / "dashboards.yml")
    sources: dict[str, str] = raw_charts.get("sources", {})

    datasets: dict[str, Dataset] = {}
    for key, d in raw_datasets["datasets"].items():
        table = d.get("mart", key)
        if table not in marts:
            raise SpecError(f"Jeu de données « {key} » : le mart « {table} » n'existe pas dans dbt_project/models/marts.")
        metrics = tuple(Metric(name, m["libelle"], m["expression"], m.get("format"), m.get("description"))
                        for name, m in (d.get("metrics") or {}).items())
        datasets[key] = Dataset(key, table, d.get("schema", "marts"), d["description"], marts[table], metrics,
                                d.get("uuid") or str(uuid.uuid5(NAMESPACE, f"dataset:{key}")))

    charts: dict[str, Chart] = {}
    for key, c in raw_charts["charts"].items():
        c = dict(c)
        indicateur = c.pop("indicateur", None)
        try:
            c["source"] = c["source"].format(**sources)
        except KeyError as exc:
            raise SpecError(f"Graphique « {key} » : source inconnue {exc} (clés de « sources »).") from None
        chart = Chart(key=key, **c)
        if indicateur:
            if indicateur not in formats:
                raise SpecError(f"Graphique « {key} » : indicateur « {indicateur} » absent du catalogue ref_indicateurs.")
            chart.filters.insert(0, ["indicateur_id", "==", indicateur])
            for metric in chart.metrics:
                chart.formats.setdefault(metric, formats[indicateur])
            chart.indicateur_fixe = True
        if chart.dernier_millesime:
            chart.filters.insert(0, [LATEST_FLAG, "IS TRUE", None])
        charts[key] = chart

    filters = {key: Filter(key=key, libelle=f["libelle"], column=f["colonne"], dataset=f["jeu_de_donnees"],
                           description=f["description"], single=f.get("choix_unique", False),
                           search=f.get("recherche", True), default=f.get("defaut"),
                           cascade=tuple(f.get("depend_de", [])))
               for key, f in raw_dashboards["filtres"].items()}
    note = raw_dashboards.get("note_secret", "").strip()
    dashboards = [Dashboard(slug=d["slug"], title=d["titre"], intro=f"{d['introduction'].strip()}\n\n{note}".strip(),
                            rows=d["lignes"],
                            filters=d["filtres"], uuid=d.get("uuid", ""))
                  for d in raw_dashboards["tableaux_de_bord"]]
    spec = Spec(datasets, charts, filters, dashboards, raw_datasets["database_uuid"], raw_charts["url_publique"])
    check(spec)
    return spec


def _field_name(ref: Any) -> str:
    return ref[0] if isinstance(ref, list) else ref


def check(spec: Spec) -> None:
    """Every reference resolves, and no chart mixes millésimes without saying so."""
    errors: list[str] = []
    for chart in spec.charts.values():
        where = f"Graphique « {chart.key} » ({chart.name})"
        if chart.viz not in VIZ:
            errors.append(f"{where} : type « {chart.viz} » inconnu ({', '.join(sorted(VIZ))}).")
            continue
        if chart.dataset not in spec.datasets:
            errors.append(f"{where} : jeu de données « {chart.dataset} » inconnu.")
            continue
        dataset = spec.datasets[chart.dataset]
        used = [*chart.columns, *chart.metrics, *chart.tooltip, *(f[0] for f in chart.filters),
                *(_field_name(o) for o in chart.orderby)]
        if chart.x_axis and not chart.x_axis_label:
            used.append(chart.x_axis)
        for name in used:
            if not dataset.has(name):
                errors.append(f"{where} : « {name} » n'est ni une colonne du mart {dataset.table} ni une mesure de "
                              f"« {dataset.key} ».")
        for layer in chart.layers:
            if layer not in spec.charts or spec.charts[layer].viz not in ("map", "points"):
                errors.append(f"{where} : couche « {layer} » inconnue ou qui n'est pas une carte.")
        aggregates = chart.viz in ("table_agg", "bar", "big_number", "map", "multi")
        several = dataset.has_column(LATEST_FLAG)
        by_year = "millesime" in chart.columns or (chart.x_axis or "").find("millesime") >= 0
        if aggregates and several and not (chart.dernier_millesime or chart.compare_millesimes or by_year):
            errors.append(f"{where} : agrège des lignes de plusieurs millésimes ; indiquer « dernier_millesime: true » "
                          "(ou « compare_millesimes: true » pour une comparaison voulue).")
        for key in chart.filtres_exclus:
            if key not in spec.filters:
                errors.append(f"{where} : filtre exclu « {key} » inconnu.")
    for dash in spec.dashboards:
        for key in dash.chart_keys():
            if key not in spec.charts:
                errors.append(f"Tableau de bord « {dash.slug} » : graphique « {key} » inconnu.")
        for key in dash.filters:
            if key not in spec.filters:
                errors.append(f"Tableau de bord « {dash.slug} » : filtre « {key} » inconnu.")
    for f in spec.filters.values():
        if f.dataset not in spec.datasets or not spec.datasets[f.dataset].has_column(f.column):
            errors.append(f"Filtre « {f.key} » : colonne « {f.column} » absente du jeu de données « {f.dataset} ».")
    if errors:
        raise SpecError("Spécification des tableaux de bord incohérente :\n- " + "\n- ".join(errors))
