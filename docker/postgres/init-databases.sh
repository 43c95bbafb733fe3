#!/bin/sh
# One PostgreSQL for the metadata of Airflow and Superset: two databases, owned by POSTGRES_USER.
set -eu
for db in airflow superset; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
       -c "CREATE DATABASE $db OWNER \"$POSTGRES_USER\";"
done
