# Two commands for a newcomer: `make demo` (set up + main job + Superset) and `make test`.
SHELL := /bin/bash
PY311 ?= python3.11
VENVS := .venvs
UV := $(VENVS)/tools/bin/uv
PIPELINE_PY := $(VENVS)/pipeline/bin/python
SUPERSET_PY := $(VENVS)/superset/bin/python
export UV_PYTHON_DOWNLOADS := never
export DO_NOT_TRACK := 1
export SCARF_NO_ANALYTICS := true
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false

.PHONY: setup demo test test-fast lint lock superset-stop clean-demo dashboards taxonomies dbt-build test-slow

$(UV):
	$(PY311) -m venv $(VENVS)/tools
	$(VENVS)/tools/bin/pip install -q uv==0.13.9

$(VENVS)/pipeline/.synced: lock/pipeline.lock.txt | $(UV)
	test -x $(PIPELINE_PY) || $(UV) venv -q -p $(PY311) $(VENVS)/pipeline
	$(UV) pip sync -q -p $(PIPELINE_PY) lock/pipeline.lock.txt
	touch $@

$(VENVS)/superset/.synced: lock/superset.lock.txt | $(UV)
	test -x $(SUPERSET_PY) || $(UV) venv -q -p $(PY311) $(VENVS)/superset
	$(UV) pip sync -q -p $(SUPERSET_PY) lock/superset.lock.txt
	touch $@

## setup: both environments from the committed lock files, plus npm for the demo geography
setup: $(VENVS)/pipeline/.synced $(VENVS)/superset/.synced
	@command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq npm >/dev/null)
	@# WeasyPrint (dashboard PDF) draws text with Pango; DejaVu covers French typography
	@ldconfig -p | grep -q libpangoft2-1.0 && fc-list | grep -qi dejavu || \
	  (apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null)

## demo: the main job on the demo inputs (Airflow in-process), then Superset on 127.0.0.1:8088
demo: setup
	bin/pacte demo

## test: everything the suite needs (Chromium for the browser test), then the whole suite
test: setup
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null)
	$(PIPELINE_PY) -m ruff check .
	PYTHONPATH=$(CURDIR) $(PIPELINE_PY) -m pytest

## dashboards: render dashboards/bundle and the dbt exposures from dashboards/spec/ (review the YAML diff)
dashboards: setup
	PYTHONPATH=$(CURDIR) $(PIPELINE_PY) -m dashboards.bundle_builder

## test-slow: fault injection (kill -9 of runs at random points, ≈ 20 runs, several minutes)
test-slow: setup
	PYTHONPATH=$(CURDIR) $(PIPELINE_PY) -m pytest -m slow -s

## dbt-build: dbt alone on a workspace's landed files (default var/demo), into dbt_project/target/dev.duckdb;
## then plain dbt commands work from dbt_project/. Options: WORKSPACE=…, DBT_ARGS="-s int_besoins__valeurs+"
WORKSPACE ?= var/demo
dbt-build: setup
	PYTHONPATH=$(CURDIR) $(PIPELINE_PY) -m warehouse.dev_build --workspace $(WORKSPACE) -- $(DBT_ARGS)

## taxonomies: regenerate the seed of the data·inclusion référentiels after upgrading data-inclusion-schema
taxonomies: setup
	PYTHONPATH=$(CURDIR) $(PIPELINE_PY) dbt_project/scripts/update_taxonomy_seeds.py

## test-fast: the tests that need no whole-chain run (no demo build, no real-file run, no Superset, no Airflow)
test-fast: setup
	$(PIPELINE_PY) -m ruff check .
	PYTHONPATH=$(CURDIR) $(PIPELINE_PY) -m pytest -m "not e2e and not superset and not airflow"

lint: setup
	$(PIPELINE_PY) -m ruff check .

## lock: re-resolve the lock files (only when changing lock/*.in)
lock: | $(UV)
	$(UV) pip compile -q -p 3.11 lock/pipeline.in -o lock/pipeline.lock.txt
	$(UV) pip compile -q -p 3.11 lock/superset.in -o lock/superset.lock.txt

superset-stop:
	-PACTE_SUPERSET_HOME=$(CURDIR)/.superset $(SUPERSET_PY) dashboards/manage.py stop

clean-demo: superset-stop
	rm -rf var/demo .superset
