#!/bin/sh
# A Redis of docker/cluster/compose.yml: its configuration is written at each start from
# the environment, so that the password (REDIS_PASSWORD) is in no file of the repository
# and on no command line. REDIS_REPLICAOF ("10.0.0.11 6379") makes it a replica; after a
# failover Sentinel repoints the nodes itself, whatever they were started as. Addresses,
# not names: Redis resolves names synchronously, and a stopped container's name stops
# resolving only after the DNS times out (10-20 s, measured), during which a replica
# retrying its lost master would not answer Sentinel at all.
set -eu
: "${REDIS_PASSWORD:?set REDIS_PASSWORD in docker/cluster/.env}"
conf=/var/lib/redis/redis.conf
umask 077
{
  echo "port 6379"
  echo "dir /var/lib/redis"
  # Redis is only the bus: accepted intake lives in PostgreSQL. A full Redis refuses
  # writes rather than evicting, which the app reports.
  echo "appendonly yes"
  echo "maxmemory-policy noeviction"
  echo "requirepass $REDIS_PASSWORD"
  echo "masterauth $REDIS_PASSWORD"
  if [ -n "${REDIS_REPLICAOF:-}" ]; then
    echo "replicaof $REDIS_REPLICAOF"
  fi
} > "$conf"
exec redis-server "$conf"
