#!/bin/sh
# Patroni's bootstrap.post_bootstrap (patroni.yml): run once, on the node that initialises
# the cluster, with a connection string to it as $1. Makes the app's role and database;
# the password comes from DISPATCH_DB_PASSWORD in Patroni's environment (docker/cluster/.env
# in compose), never from this file. The migrations create the extension themselves
# (TimescaleDB needs the superuser for that, so it is made here too when it is installed).
set -eu
: "${DISPATCH_DB_PASSWORD:?set DISPATCH_DB_PASSWORD in Patroni's environment}"
user="${DISPATCH_DB_USER:-dispatch}"
db="${DISPATCH_DB_NAME:-dispatch}"
psql "$1" -v ON_ERROR_STOP=1 -v user="$user" -v db="$db" -v pw="$DISPATCH_DB_PASSWORD" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'pw';
CREATE DATABASE :"db" OWNER :"user";
\connect :"db"
SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') AS has_tsdb
\gset
\if :has_tsdb
CREATE EXTENSION IF NOT EXISTS timescaledb;
\endif
SQL
