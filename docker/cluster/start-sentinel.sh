#!/bin/sh
# A Sentinel of docker/cluster/compose.yml. Sentinel rewrites its configuration file (the
# master it follows, the other Sentinels), so it runs on a copy in its volume, made from
# the mounted sentinel.conf on the first start only; the Redis password (REDIS_PASSWORD)
# goes in place of the placeholder there, and the master's address (REDIS_MASTER_ADDRESS)
# in place of its name: a Sentinel resolving the name of a stopped container stalls for
# the DNS timeout (10-20 s, measured) on every try, enters TILT mode and never fails over.
# A later change of password: see docs/operations.md (SENTINEL SET dispatch auth-pass).
set -eu
: "${REDIS_PASSWORD:?set REDIS_PASSWORD in docker/cluster/.env}"
conf=/var/lib/redis/sentinel.conf
umask 077
if [ ! -s "$conf" ]; then
  : "${REDIS_MASTER_ADDRESS:?set the master's address (compose.yml does)}"
  sed -e "s|<the Redis password>|$REDIS_PASSWORD|" \
      -e "s|^\(sentinel monitor [^ ]*\) [^ ]* |\1 $REDIS_MASTER_ADDRESS |" \
      /etc/redis/dispatch-sentinel.conf > "$conf"
fi
exec redis-sentinel "$conf"
