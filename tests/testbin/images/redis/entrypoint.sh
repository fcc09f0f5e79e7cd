#!/bin/bash
# Run redis-server as user redis. Arguments `redis-server …` (or options `--…`) are used as given, like
# the official image. Without arguments: env REDIS_BIND (127.0.0.1), REDIS_PORT (6379), REDIS_PASSWORD
# (optional -> --requirepass). Data in /data (append-only file).
set -euo pipefail
mkdir -p /data && chown redis:redis /data
first="${1:-}"
if [ "$first" = redis-server ]; then shift
elif [ "${first:0:1}" != - ]; then
  set -- --bind "${REDIS_BIND:-127.0.0.1}" --port "${REDIS_PORT:-6379}" --appendonly yes --protected-mode no \
    ${REDIS_PASSWORD:+--requirepass "$REDIS_PASSWORD"} "$@"
fi
exec setpriv --reuid=redis --regid=redis --init-groups redis-server --dir /data --daemonize no "$@"
