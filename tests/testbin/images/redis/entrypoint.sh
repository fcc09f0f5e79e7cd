#!/bin/bash
# Run redis-server as user redis. Env: REDIS_BIND (127.0.0.1), REDIS_PORT (6379),
# REDIS_PASSWORD (optional -> --requirepass). Data in /data (append-only file).
set -euo pipefail
args=(--bind "${REDIS_BIND:-127.0.0.1}" --port "${REDIS_PORT:-6379}"
      --dir /data --daemonize no --appendonly yes --protected-mode no)
if [ -n "${REDIS_PASSWORD:-}" ]; then args+=(--requirepass "$REDIS_PASSWORD"); fi
mkdir -p /data && chown redis:redis /data
exec setpriv --reuid=redis --regid=redis --init-groups redis-server "${args[@]}" "$@"
