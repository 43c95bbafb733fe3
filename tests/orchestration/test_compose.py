"""docker-compose.yml for the team server (no Docker engine here): structure, pins, volumes, secrets."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

COMPOSE = REPO / "docker-compose.yml"
AIRFLOW_SERVICES = {"airflow-init", "airflow-api-server", "airflow-scheduler", "airflow-dag-processor",
                    "airflow-triggerer", "airflow-worker"}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|_KEY\b")
PINNED_IMAGE = re.compile(r"^[\w./-]+(:\d+(\.\d+){1,2}[\w.-]*)?(@sha256:[0-9a-f]{64})?$")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def test_services_and_profiles(compose: dict) -> None:
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "superset", "superset-init"} | AIRFLOW_SERVICES
    celery_only = {name for name, s in services.items() if "celery" in s.get("profiles", [])}
    assert celery_only == {"redis", "airflow-worker"}  # LocalExecutor by default, Celery as a profile
    env = services["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "${AIRFLOW_EXECUTOR:-LocalExecutor}"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
    assert services["superset-init"]["environment"]["PACTE_SUPERSET_DATABASE_URI"].startswith("postgresql")
    assert services["airflow-api-server"]["command"][0] == "api-server"
    assert services["superset"].get("command") is None  # gunicorn, from docker/superset.Dockerfile
    assert "gunicorn" in (REPO / "docker" / "superset.Dockerfile").read_text()


def test_init_jobs_migrate_create_pool_admin_and_import_dashboards(compose: dict) -> None:
    services = compose["services"]
    airflow_init = " ".join(services["airflow-init"]["command"])
    for step in ("airflow db migrate", "warehouse.airflow_local pool", "AIRFLOW_ADMIN_PASSWORD"):
        assert step in airflow_init
    superset_init = " ".join(services["superset-init"]["command"])
    assert "dashboards/manage.py init" in superset_init and "dashboards/manage.py import --served" in superset_init
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        assert services[name]["depends_on"]["airflow-init"] == {"condition": "service_completed_successfully"}
    assert services["superset"]["depends_on"]["superset-init"] == {"condition": "service_completed_successfully"}


def test_healthchecks(compose: dict) -> None:
    for name, service in compose["services"].items():
        check = service["healthcheck"]
        if name.endswith("-init"):  # one-shot jobs: success is their exit code
            assert check == {"disable": True} and service["restart"] == "no"
        else:
            assert check["test"] and check["interval"] and check["retries"] >= 3, name


def test_shared_volumes(compose: dict) -> None:
    services = compose["services"]
    assert set(compose["volumes"]) >= {"warehouse", "postgres-data", "superset-home"}
    for name in AIRFLOW_SERVICES:
        volumes = services[name]["volumes"]
        assert "warehouse:/data/warehouse" in volumes and "${PACTE_INBOX_DIR:-./inbox}:/data/inbox" in volumes
        env = services[name]["environment"]
        assert (env["PACTE_WORKSPACE"], env["PACTE_INBOX"]) == ("/data/warehouse", "/data/inbox")
    for name in ("superset", "superset-init"):
        assert "warehouse:/data/warehouse:ro" in services[name]["volumes"]  # dashboards never write


def test_images_and_base_images_are_pinned_and_use_the_lock_files(compose: dict) -> None:
    for name, service in compose["services"].items():
        image = service["image"]
        assert ":latest" not in image and PINNED_IMAGE.match(image), (name, image)
        if "build" not in service:
            assert re.search(r":\d+\.\d+", image), (name, image)  # exact upstream release, not a major
    for dockerfile, lock in (("pipeline.Dockerfile", "lock/pipeline.lock.txt"),
                             ("superset.Dockerfile", "lock/superset.lock.txt")):
        text = (REPO / "docker" / dockerfile).read_text()
        assert re.search(r"^FROM python:3\.11\.\d+-slim-bookworm$", text, re.MULTILINE), dockerfile
        assert lock in text and (REPO / lock).exists()
        assert "uv==0.13.9" in text
    # Server extras live in the lock files too (no second, unchecked requirements list).
    assert "psycopg2-binary==" in (REPO / "lock" / "pipeline.lock.txt").read_text()
    assert "apache-airflow-providers-celery==" in (REPO / "lock" / "pipeline.lock.txt").read_text()
    assert "psycopg2-binary==" in (REPO / "lock" / "superset.lock.txt").read_text()


def test_no_secret_has_a_default_value(compose: dict) -> None:
    text = "\n".join(line for line in COMPOSE.read_text(encoding="utf-8").splitlines()
                     if not line.lstrip().startswith("#"))
    references = re.findall(r"(?<!\$)\$\{(\w+)(:?[-?+]?)([^}]*)\}", text)  # $${X} is the container's
    secrets = {name for name, _, _ in references if SECRET_NAME.search(name)}
    assert secrets >= {"POSTGRES_PASSWORD", "AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET", "SUPERSET_SECRET_KEY",
                       "PACTE_SUPERSET_ADMIN_PASSWORD", "AIRFLOW_ADMIN_PASSWORD", "REDIS_PASSWORD"}
    for name, op, _ in references:
        if name in secrets:
            assert op in ("", ":?"), f"${{{name}}} has a default ({op})"
    # No literal value for a secret-looking key anywhere in the services' environments.
    for service in compose["services"].values():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(key) and not key.endswith("_FILE"):  # a path to a secret is not one
                assert "${" in str(value), key
    # .env.example lists every variable with a blank value; .env itself is never committed.
    example = dict(line.split("=", 1) for line in (REPO / ".env.example").read_text().splitlines()
                   if line and not line.startswith("#"))
    assert {name for name, _, _ in references} <= set(example)
    assert all(value == "" for value in example.values())
    assert ".env" in (REPO / ".gitignore").read_text().splitlines()


def test_superset_config_honours_database_uri_and_refuses_default_key(tmp_path: Path) -> None:
    python = REPO / ".venvs" / "superset" / "bin" / "python"
    if not python.exists():
        pytest.skip("environnement Superset absent")
    code = "import runpy; print(runpy.run_path('dashboards/superset_config.py')['SQLALCHEMY_DATABASE_URI'])"
    base = {**os.environ, "PACTE_SUPERSET_HOME": str(tmp_path)}
    uri = "postgresql+psycopg2://pacte:x@postgres:5432/superset"
    ok = subprocess.run([str(python), "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60,
                        env={**base, "SUPERSET_SECRET_KEY": "k" * 40, "PACTE_SUPERSET_DATABASE_URI": uri})
    assert ok.returncode == 0 and ok.stdout.strip() == uri, ok.stderr
    refused = subprocess.run([str(python), "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60,
                             env={**base, "SUPERSET_SECRET_KEY": "CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET"})
    assert refused.returncode != 0 and "refuse de démarrer" in refused.stderr


def test_docker_compose_config_when_docker_is_available(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("pas de moteur Docker sur cette machine : seule l'analyse du fichier est testée")
    env_file = tmp_path / ".env"
    env_file.write_text("\n".join(f"{k}=x" if k != "PACTE_DEPARTEMENT" else f"{k}=16" for k in
                                  ("POSTGRES_PASSWORD", "AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET",
                                   "AIRFLOW_API_SECRET_KEY", "AIRFLOW_ADMIN_PASSWORD", "SUPERSET_SECRET_KEY",
                                   "PACTE_SUPERSET_ADMIN_PASSWORD", "REDIS_PASSWORD", "PACTE_DEPARTEMENT")))
    proc = subprocess.run([docker, "compose", "--env-file", str(env_file), "-f", str(COMPOSE), "config", "-q"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
