#!/usr/bin/env bash
# Start (or reuse) a private Docker engine for the test suite.
#
# - loopback only: no bridge, no iptables, containers use --network host
# - data-root lives in the comind cache so locally built images survive runs
# - exec-root / socket / pidfile live under a short path (unix sockets < 108 chars)
#
# Usage (as root):  tests/testbin/setup-docker.sh
#                   export DOCKER_HOST=unix:///run/comind-docker/docker.sock
set -euo pipefail
# shellcheck source=apt-install.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh"

CACHE="${COMIND_CACHE:-$HOME/.cache/comind-ops}"
RUN_DIR="${COMIND_DOCKER_RUN:-/run/comind-docker}"
DATA_ROOT="${COMIND_DOCKER_DATA:-$CACHE/docker/data}"
SOCK="$RUN_DIR/docker.sock"
PIDFILE="$RUN_DIR/docker.pid"
LOG="$RUN_DIR/dockerd.log"
HOST="unix://$SOCK"
DRIVER_FILE="$(dirname "$DATA_ROOT")/storage-driver"   # driver the data-root was created with

log() { echo "setup-docker: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
  log "must run as root (dockerd needs it)"; exit 1
fi

if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
  log "installing docker.io + debootstrap"
  apt_install docker.io debootstrap >/dev/null
fi

# Prefer the Debian client if no other docker CLI is on PATH.
DOCKER_CLI="$(command -v docker || echo /usr/bin/docker)"

answers() { DOCKER_HOST="$HOST" "$DOCKER_CLI" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

mkdir -p "$RUN_DIR" "$DATA_ROOT"
# Serialise concurrent callers (several pytest sessions may start at once).
exec 9>"$RUN_DIR/setup.lock"
flock -w 120 9 || { log "could not take $RUN_DIR/setup.lock"; exit 1; }

if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  if answers; then
    log "reusing dockerd pid $(cat "$PIDFILE")"
    echo "export DOCKER_HOST=$HOST"
    exit 0
  fi
fi
# stale pidfile/socket from a dead engine
rm -f "$PIDFILE" "$SOCK"

# overlay2 needs an overlay-capable mount under the data root; fall back to vfs.
probe_overlay() {
  local d; d="$(mktemp -d "$DATA_ROOT/../ovl-probe.XXXXXX")" || return 1
  mkdir -p "$d/l" "$d/u" "$d/w" "$d/m"
  if mount -t overlay overlay -o "lowerdir=$d/l,upperdir=$d/u,workdir=$d/w" "$d/m" 2>/dev/null; then
    umount "$d/m"; rm -rf "$d"; return 0
  fi
  rm -rf "$d"; return 1
}
if [ -n "${COMIND_DOCKER_STORAGE_DRIVER:-}" ]; then
  DRIVER="$COMIND_DOCKER_STORAGE_DRIVER"
elif [ -f "$DRIVER_FILE" ]; then
  DRIVER="$(cat "$DRIVER_FILE")"          # keep what the data-root was created with
elif probe_overlay; then
  DRIVER=overlay2
else
  DRIVER=vfs
fi
echo "$DRIVER" > "$DRIVER_FILE"

log "starting dockerd (storage-driver=$DRIVER, data-root=$DATA_ROOT)"
nohup dockerd \
  --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
  --storage-driver="$DRIVER" \
  --data-root="$DATA_ROOT" --exec-root="$RUN_DIR/exec" \
  --host="$HOST" --pidfile="$PIDFILE" \
  >"$LOG" 2>&1 </dev/null 9>&- &

for _ in $(seq 1 150); do
  if answers; then
    log "dockerd ready (pid $(cat "$PIDFILE"), log $LOG)"
    echo "export DOCKER_HOST=$HOST"
    exit 0
  fi
  sleep 0.2
done
log "dockerd did not answer within 30 s; last log lines:"
tail -n 30 "$LOG" >&2 || true
exit 1
