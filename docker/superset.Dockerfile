# Superset 6.1 image (gunicorn) of the Pacte dashboards. Same lock file as the one-machine setup:
# lock/superset.lock.txt; configuration dashboards/superset_config.py (refuses a default secret key).
FROM python:3.11.7-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PYTHON_DOWNLOADS=never \
    SCARF_ANALYTICS=false SUPERSET_LOAD_EXAMPLES=no FLASK_APP=superset \
    SUPERSET_CONFIG_PATH=/opt/pacte/dashboards/superset_config.py \
    PACTE_SUPERSET_HOME=/var/lib/superset SUPERSET_HOME=/var/lib/superset

RUN pip install --no-cache-dir uv==0.13.9
COPY lock/superset.lock.txt /tmp/lock/
RUN uv pip install --system --no-cache -r /tmp/lock/superset.lock.txt \
 && rm -rf /tmp/lock

RUN useradd --uid 50001 --home-dir /var/lib/superset --create-home superset
WORKDIR /opt/pacte
COPY --chown=superset:superset dashboards ./dashboards
# Standard-library modules of the pipeline that the dashboards load (reference facts, process supervisor).
COPY --chown=superset:superset ingestion/__init__.py ingestion/reference.py ./ingestion/
COPY --chown=superset:superset warehouse/__init__.py warehouse/supervisor.py ./warehouse/
USER superset
EXPOSE 8088
CMD ["gunicorn", "--bind", "0.0.0.0:8088", "--workers", "2", "--worker-class", "gthread", "--threads", "4", \
     "--timeout", "120", "--keep-alive", "75", "--limit-request-line", "0", "--limit-request-field_size", "0", "superset.app:create_app()"]
