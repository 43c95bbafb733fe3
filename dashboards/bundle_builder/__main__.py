"""`python -m dashboards.bundle_builder [--verifier]`: render dashboards/bundle and the dbt exposures.

Without argument, (re)writes the bundle's datasets, charts and dashboards and
dbt_project/models/marts/_exposures.yml. With --verifier, writes nothing and exits 1 when the committed
files differ from what the spec renders (CI runs it through the tests).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

import yaml

from dashboards.bundle_builder.model import REPO, SpecError, load_spec
from dashboards.bundle_builder.render import chart_yaml, dashboard_yaml, dataset_yaml, exposures

BUNDLE = REPO / "dashboards" / "bundle"
EXPOSURES = REPO / "dbt_project" / "models" / "marts" / "_exposures.yml"
GENERATED = ("datasets", "charts", "dashboards")
HEADER = "# Rendu par « make dashboards » depuis dashboards/spec/ : ne pas modifier à la main.\n"


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")


def _dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def render(bundle: Path, exposures_path: Path) -> list[Path]:
    spec = load_spec()
    for sub in GENERATED:
        shutil.rmtree(bundle / sub, ignore_errors=True)
    files: dict[Path, str] = {}
    for dataset in spec.datasets.values():
        files[bundle / "datasets" / "pacte" / f"{dataset.key}.yaml"] = _dump(dataset_yaml(spec, dataset))
    for chart in spec.charts.values():
        files[bundle / "charts" / f"{slugify(chart.name)}.yaml"] = _dump(chart_yaml(spec, chart))
    for dash in spec.dashboards:
        files[bundle / "dashboards" / f"{slugify(dash.slug)}.yaml"] = _dump(dashboard_yaml(spec, dash))
    files[exposures_path] = HEADER + _dump(exposures(spec))
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return sorted(files)


def differences(tmp: Path) -> list[str]:
    """Files that the spec renders differently from the committed ones."""
    copy = tmp / "bundle"
    shutil.copytree(BUNDLE, copy)
    rendered_exposures = tmp / "_exposures.yml"
    render(copy, rendered_exposures)
    diffs = []
    for sub in GENERATED:
        ours = {p.relative_to(copy) for p in (copy / sub).rglob("*.yaml")}
        committed = {p.relative_to(BUNDLE) for p in (BUNDLE / sub).rglob("*.yaml")}
        diffs += [str(p) for p in sorted(ours ^ committed)]
        diffs += [str(p) for p in sorted(ours & committed) if (copy / p).read_bytes() != (BUNDLE / p).read_bytes()]
    if not EXPOSURES.exists() or rendered_exposures.read_bytes() != EXPOSURES.read_bytes():
        diffs.append(str(EXPOSURES.relative_to(REPO)))
    return diffs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboards.bundle_builder",
                                     description="Rend le bundle Superset et les expositions dbt depuis dashboards/spec/.")
    parser.add_argument("--verifier", action="store_true", help="vérifie seulement que le bundle est à jour")
    args = parser.parse_args(argv)
    try:
        if args.verifier:
            with tempfile.TemporaryDirectory(prefix="pacte_bundle_") as tmp:
                diffs = differences(Path(tmp))
            if diffs:
                print("Le bundle n'est pas à jour de dashboards/spec/ ; lancez « make dashboards ». Fichiers :\n  "
                      + "\n  ".join(diffs), file=sys.stderr)
                return 1
            print("Bundle à jour de la spécification.")
            return 0
        written = render(BUNDLE, EXPOSURES)
    except SpecError as exc:
        print(f"ERREUR : {exc}", file=sys.stderr)
        return 2
    print(f"{len(written)} fichiers rendus depuis dashboards/spec/ (bundle et expositions dbt).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
