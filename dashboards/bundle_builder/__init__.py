"""Render the Superset bundle (dashboards/bundle) and the dbt exposures from the dashboards spec.

The spec (dashboards/spec/*.yml) is the only source of the dashboards: datasets, charts, filters and
dashboards. Dataset columns and their French labels are read from the dbt marts' YAML (meta.libelle), never
re-declared. `make dashboards` renders; `--verifier` checks that the committed bundle is in sync.
"""
