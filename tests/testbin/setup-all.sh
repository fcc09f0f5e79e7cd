#!/usr/bin/env bash
# Install, build and start every real component the test suite uses, printing cold/warm time per component.
# Builds are cached under ${COMIND_CACHE:-~/.cache/comind-ops}, keyed by component and version.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export COMIND_CACHE="${COMIND_CACHE:-$HOME/.cache/comind-ops}"
logs="$COMIND_CACHE/logs"
mkdir -p "$logs"
start=$(date +%s)

run_logged() { # name script… : run a setup step, keep its log, show its summary lines, fail with its tail
  local name="$1"; shift
  local t0=$(date +%s)
  if "$@" >"$logs/$name.log" 2>&1; then
    grep -E '^(component|image|provider|docker)\b' "$logs/$name.log" || true
    echo "setup $name: done in $(( $(date +%s) - t0 ))s"
  else
    echo "setup $name: FAILED after $(( $(date +%s) - t0 ))s — last lines of $logs/$name.log:" >&2
    tail -n 30 "$logs/$name.log" >&2
    return 1
  fi
}

# The Docker engine first (images need it); Go builds run meanwhile. Each group is independent.
( run_logged kube bash "$here/build-kube.sh" && run_logged kustomize bash "$here/build-kustomize.sh" ) & kube_pid=$!
run_logged providers bash "$here/build-providers.sh" & providers_pid=$!
( run_logged docker bash "$here/setup-docker.sh" && run_logged images bash "$here/build-images.sh" ) & docker_pid=$!
# Argo CD (one ~150 MB Go binary, ~2 GB RAM to link) and the Redis it needs; its CRDs come from the same module.
run_logged argocd bash "$here/build-argocd.sh" & argocd_pid=$!
# The sealed-secrets controller (plain go install, ~4 CPU-min cold) and its CRD.
run_logged sealed-secrets bash "$here/build-sealed-secrets.sh" & sealed_pid=$!
# The Prometheus Operator's ServiceMonitor CRD (copied from its Go module; nothing built).
run_logged prometheus-crd bash "$here/fetch-prometheus-crd.sh" & promcrd_pid=$!

status=0
for pid in $kube_pid $providers_pid $docker_pid $argocd_pid $sealed_pid $promcrd_pid; do wait "$pid" || status=1; done
echo "setup all: $(( $(date +%s) - start ))s (status $status)"
exit $status
