#!/usr/bin/env bash
# Stop the private test Docker engine started by setup-docker.sh (by its pid).
set -euo pipefail
RUN_DIR="${COMIND_DOCKER_RUN:-/run/comind-docker}"
PIDFILE="$RUN_DIR/docker.pid"
if [ ! -f "$PIDFILE" ]; then echo "stop-docker: not running (no $PIDFILE)" >&2; exit 0; fi
pid="$(cat "$PIDFILE")"
if kill -0 "$pid" 2>/dev/null; then
  kill "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then echo "stop-docker: pid $pid still alive, sending KILL" >&2; kill -9 "$pid" || true; fi
fi
# dockerd leaves its default netns bind mount behind; release it so the run dir can be removed
if mountpoint -q "$RUN_DIR/exec/netns/default" 2>/dev/null; then umount "$RUN_DIR/exec/netns/default" || true; fi
rm -f "$PIDFILE" "$RUN_DIR/docker.sock"
echo "stop-docker: stopped dockerd pid $pid" >&2
