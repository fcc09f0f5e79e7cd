#!/usr/bin/env bash
# The whole test suite: set up the real components, run pytest with --require-real, stop what was started.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
vpy="${VPY:?VPY names the virtualenv python}"
trap 'bash "$here/stop-docker.sh" >/dev/null 2>&1 || true' EXIT
bash "$here/setup-all.sh"
export COMIND_REQUIRE_REAL=1  # also for helpers that cannot see pytest options
# The venv's console scripts (comind, copier) come first: a fresh machine has no others, and none elsewhere may win.
export PATH="$(dirname "$vpy"):$PATH"
export DOCKER_HOST="${DOCKER_HOST:-unix:///run/comind-docker/docker.sock}"
"$vpy" -m pytest tests/ --require-real "$@"
