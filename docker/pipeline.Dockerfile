# Airflow 3.3 + dbt-duckdb + GX image of the Pacte warehouse (api-server, scheduler, dag-processor, triggerer,
# celery worker). Same lock file as the one-machine setup: lock/pipeline.lock.txt.
FROM python:3.11.7-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PYTHON_DOWNLOADS=never \
    DO_NOT_TRACK=1 SCARF_NO_ANALYTICS=true GX_ANALYTICS_ENABLED=false DBT_SEND_ANONYMOUS_USAGE_STATS=false \
    TQDM_DISABLE=1 AIRFLOW_HOME=/opt/airflow AIRFLOW__CORE__DAGS_FOLDER=/opt/pacte/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False PYTHONPATH=/opt/pacte:/opt/pacte/dags

RUN pip install --no-cache-dir uv==0.13.9
COPY lock/pipeline.lock.txt /tmp/lock/
# The same lock as the one-machine setup (it includes the PostgreSQL driver and the Celery provider).
RUN uv pip install --system --no-cache -r /tmp/lock/pipeline.lock.txt \
 && rm -rf /tmp/lock

RUN useradd --uid 50000 --home-dir /opt/airflow --create-home airflow \
 && mkdir -p /data/warehouse /data/inbox /opt/pacte && chown -R airflow /data /opt/pacte
WORKDIR /opt/pacte
COPY --chown=airflow:airflow bin ./bin
COPY --chown=airflow:airflow dags ./dags
COPY --chown=airflow:airflow ingestion ./ingestion
COPY --chown=airflow:airflow expectations ./expectations
COPY --chown=airflow:airflow dbt_project ./dbt_project
COPY --chown=airflow:airflow warehouse ./warehouse
COPY --chown=airflow:airflow pyproject.toml ./
USER airflow
ENTRYPOINT ["python", "-m", "airflow"]
CMD ["version"]
