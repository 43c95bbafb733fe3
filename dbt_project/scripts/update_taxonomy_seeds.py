"""Regenerate the seed of the data·inclusion taxonomies (dbt_project/seeds/ref_data_inclusion__taxonomies.csv).

The référentiels come from the PyPI package `data-inclusion-schema`: v1 from the installed version, v0 from the
last wheel that shipped it (ingestion.taxonomies fetches it once into .cache/registry). dbt reads the committed
seed and never imports project code nor reaches the network; run this after upgrading the package
(`make taxonomies`), review the diff, commit. tests/dbt checks that the seed equals what the package says.

    PYTHONPATH=. .venvs/pipeline/bin/python dbt_project/scripts/update_taxonomy_seeds.py
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "dbt_project" / "seeds" / "ref_data_inclusion__taxonomies.csv"
COLUMNS = ["version", "taxonomie", "valeur", "libelle", "categorie"]


def expected_seed() -> str:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from ingestion.taxonomies import taxonomies

    frame = taxonomies()[COLUMNS].sort_values(["version", "taxonomie", "valeur"], kind="stable")
    return frame.to_csv(index=False, lineterminator="\n")


def main() -> int:
    SEED.write_text(expected_seed(), encoding="utf-8")
    print(f"Seed des référentiels data·inclusion écrit : {SEED.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
