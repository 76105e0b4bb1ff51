#!/bin/sh
# A Sentinel of docker/cluster/compose.yml. Sentinel rewrites its configuration file (the
# master it follows, the other Sentinels), so it runs on a copy in its volume, made from
# the mounted sentinel.conf on the first start only; the Redis password (REDIS_PASSWORD)
# goes in place of the placeholder there. A later change of password: see
# docs/operations.md (SENTINEL SET dispatch auth-pass).
set -eu
: "${REDIS_PASSWORD:?set REDIS_PASSWORD in docker/cluster/.env}"
conf=/var/lib/redis/sentinel.conf
umask 077
if [ ! -s "$conf" ]; then
  sed -e "s|<the Redis password>|$REDIS_PASSWORD|" \
      /etc/redis/dispatch-sentinel.conf > "$conf"
  echo "sentinel announce-ip $(hostname)" >> "$conf"
fi
exec redis-sentinel "$conf"
