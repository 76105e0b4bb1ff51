#!/bin/sh
# The `db` service of docker/compose.yml on the engines image (Debian's PostgreSQL 15), for
# machines that cannot pull timescale/timescaledb-ha: what that image's entrypoint does on
# a first start, in short. Makes the cluster on the db-data volume with POSTGRES_USER as
# its superuser (password POSTGRES_PASSWORD) and POSTGRES_DB, then runs PostgreSQL. Without
# TimescaleDB the app takes its plain-PostgreSQL path by itself.
set -eu
: "${POSTGRES_PASSWORD:?}" "${POSTGRES_USER:?}" "${POSTGRES_DB:?}"
PGDATA=/home/postgres/pgdata/data
mkdir -p "$PGDATA"
chown -R postgres:postgres /home/postgres/pgdata
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  chown postgres "$pwfile"
  runuser -u postgres -- initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8
  rm -f "$pwfile"
  # The app connects from its own container, on the compose network.
  echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
  echo "CREATE DATABASE \"$POSTGRES_DB\"" \
    | runuser -u postgres -- postgres --single -D "$PGDATA" postgres >/dev/null
fi
exec runuser -u postgres -- postgres -D "$PGDATA" -c listen_addresses='*' \
  -c unix_socket_directories=/run/postgresql
