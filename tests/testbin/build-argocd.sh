#!/usr/bin/env bash
# Build Argo CD (the tests' GitOps controllers) from Go modules, and make sure Redis is installed.
#
#   tests/testbin/build-argocd.sh          build what is missing
#   tests/testbin/build-argocd.sh --print  print where things are expected and exit
#
# Output (one line each, like build-kube.sh):
#   component argocd v3.2.11: warm 0s | cold <N>s (peak RSS of one process … MiB)
#   component argocd-crds v3.2.11: warm 0s | copied from the module's manifests/crds
#   component redis-server <version>: warm 0s | installed with apt in <N>s
#
# Argo CD is one multi-call binary (the role is chosen by ARGOCD_BINARY_NAME); it lands in
# ${COMIND_CACHE:-$HOME/.cache/comind-ops}/bin/argocd-<version>/argocd, next to crds/ — the three CRDs of
# the same version, taken from the module's own manifests/crds/ so controllers and schemas match — and base/
# (the upstream controller and repo-server manifests, for the environment they read from configmaps).
# The wrapper module tests/testbin/argocd/ exists because argo-cd's go.mod has a replace block that
# `go install …@version` refuses; it copies that block verbatim (see README.md). Nothing is written
# inside the clone (go build -mod=readonly).
#
# Environment: COMIND_CACHE, GO, COMIND_BUILD_JOBS (go build -p, default nproc), COMIND_BUILD_MEMLIMIT
# (GOMEMLIMIT, default 3GiB), COMIND_NO_APT=1 (never apt-get; a missing redis-server is then an error).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=apt-install.sh
source "$HERE/apt-install.sh"
# shellcheck source=versions.env
source "$HERE/versions.env"
CACHE="${COMIND_CACHE:-$HOME/.cache/comind-ops}"
BIN="$CACHE/bin"
LOGS="$CACHE/buildlogs"
DEST="$BIN/argocd-$ARGOCD_VERSION"

if [[ "${1:-}" == "--print" ]]; then
  echo "argocd=$DEST/argocd"
  echo "argocd-crds=$DEST/crds"
  echo "redis-server=$(command -v redis-server || echo /usr/bin/redis-server)"
  exit 0
fi

GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
JOBS="${COMIND_BUILD_JOBS:-$(nproc)}"
export GOMEMLIMIT="${COMIND_BUILD_MEMLIMIT:-3GiB}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export CGO_ENABLED=0
mkdir -p "$BIN" "$LOGS"

redis() {  # Debian's redis-server: the controllers' cache. Installed here because a fresh machine lacks it.
  local t0 v
  t0=$(date +%s)
  if ! command -v redis-server >/dev/null; then
    if [[ "${COMIND_NO_APT:-0}" == 1 ]] || ! command -v apt-get >/dev/null || [[ $(id -u) -ne 0 ]]; then
      echo "component redis-server: FAILED — not installed (apt-get install redis-server)" >&2
      return 1
    fi
    apt_install --no-install-recommends redis-server >"$LOGS/redis-server-apt.log" 2>&1 || {
      echo "component redis-server: FAILED — apt-get install redis-server, last lines of $LOGS/redis-server-apt.log:" >&2
      tail -n 20 "$LOGS/redis-server-apt.log" | sed 's/^/    /' >&2
      return 1
    }
    # the package starts a system service on 6379; the tests run their own on a port of their own
    systemctl disable --now redis-server >/dev/null 2>&1 || true
    v="$(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')"
    echo "component redis-server ${v:-?}: installed with apt in $(( $(date +%s) - t0 ))s"
  else
    v="$(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')"
    echo "component redis-server ${v:-?}: warm 0s"
  fi
}

module_dir() {  # the argo-cd module's folder in the module cache (downloaded if needed)
  (cd "$HERE/argocd" && "$GO" mod download -json "github.com/argoproj/argo-cd/v3@$ARGOCD_VERSION" \
     | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
}

# From the module, next to the binary: the CRDs of the same version, and the controller's and repo-server's
# upstream manifests, whose configMapKeyRef env entries tests/components/argocd.py applies to the processes it
# runs out of cluster (what the chart's pods get from argocd-cm and argocd-cmd-params-cm).
MODULE_FILES=(manifests/crds/application-crd.yaml manifests/crds/applicationset-crd.yaml
              manifests/crds/appproject-crd.yaml
              manifests/base/application-controller/argocd-application-controller-statefulset.yaml
              manifests/base/repo-server/argocd-repo-server-deployment.yaml)
crds() {
  local f missing=0
  for f in "${MODULE_FILES[@]}"; do [[ -s "$DEST/${f#manifests/}" ]] || missing=1; done
  if [[ $missing == 0 ]]; then echo "component argocd-crds $ARGOCD_VERSION: warm 0s"; return 0; fi
  local dir; dir="$(module_dir)"
  [[ -d "$dir/manifests/crds" ]] || { echo "argo-cd module folder not found (got '$dir')" >&2; return 1; }
  rm -rf "$DEST/crds" "$DEST/base"
  for f in "${MODULE_FILES[@]}"; do
    mkdir -p "$(dirname "$DEST/${f#manifests/}")"
    cp "$dir/$f" "$DEST/${f#manifests/}.tmp" && chmod 644 "$DEST/${f#manifests/}.tmp"
    mv "$DEST/${f#manifests/}.tmp" "$DEST/${f#manifests/}"
  done
  echo "component argocd-crds $ARGOCD_VERSION: copied from the module's manifests/ (crds, controller and repo-server)"
}

argocd() {
  if [[ -x "$DEST/argocd" ]]; then echo "component argocd $ARGOCD_VERSION: warm 0s"; return 0; fi
  if [[ ! -x "$GO" ]]; then
    echo "build-argocd.sh: no Go toolchain found (set GO=/path/to/go; Go >= 1.25.5 needed)" >&2; return 2
  fi
  local start log tmp rc rss pkg=github.com/argoproj/argo-cd/v3/common ldflags
  start=$(date +%s)
  log="$LOGS/argocd-$ARGOCD_VERSION.log"
  mkdir -p "$DEST"
  tmp="$(mktemp -d "$BIN/.argocd-$ARGOCD_VERSION.XXXXXX")"
  ldflags="-s -w -X $pkg.version=${ARGOCD_VERSION#v} -X $pkg.gitTag=$ARGOCD_VERSION"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.gitCommit=module-$ARGOCD_VERSION"
  set +e
  (cd "$HERE/argocd" && echo "+ go build github.com/argoproj/argo-cd/v3/cmd -ldflags '$ldflags'" \
     && /usr/bin/time -v -o "$log.time" "$GO" build -mod=readonly -p "$JOBS" -trimpath \
          -ldflags "$ldflags" -o "$tmp/argocd" github.com/argoproj/argo-cd/v3/cmd) >"$log" 2>&1
  rc=$?
  set -e
  if [[ $rc -ne 0 || ! -x "$tmp/argocd" ]]; then
    rm -rf "$tmp"
    {
      echo "component argocd $ARGOCD_VERSION: FAILED (exit $rc) — last lines of $log:"
      tail -n 40 "$log" | sed 's/^/    /'
    } >&2
    return 1
  fi
  mv "$tmp/argocd" "$DEST/argocd"; rm -rf "$tmp"
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%d", $2/1024}' "$log.time")
  echo "component argocd $ARGOCD_VERSION: cold $(( $(date +%s) - start ))s (peak RSS of one process ${rss:-?} MiB)"
}

main() {
  local t0 rc=0
  t0=$(date +%s)
  # Own lock (not build-kube.sh's): this lane runs beside the control plane's, two callers of this
  # script do not build at once.
  exec 9>"$BIN/.build-argocd.lock"
  flock 9
  redis || rc=1
  argocd || rc=1
  crds || rc=1
  if [[ $rc -ne 0 ]]; then echo "build-argocd.sh: FAILED (see above)" >&2; return "$rc"; fi
  echo "argocd ready in $(( $(date +%s) - t0 ))s under $DEST"
}

# Everything above is definitions; bash has read the whole file before a build starts.
main; exit $?
