"""data·inclusion référentiels v0 (PyPI wheel 1.0.6, cached) and v1 (installed package), one row per value."""


def model(dbt, session):
    dbt.config(materialized="table")
    from ingestion.taxonomies import taxonomies

    return taxonomies()
