#!/usr/bin/env bash
# Build the Bitnami sealed-secrets controller used by the test suite from the Go module proxy.
#
#   tests/testbin/build-sealed-secrets.sh           build it if missing
#   tests/testbin/build-sealed-secrets.sh --print   print the binary and CRD paths and exit
#
# Lands in ${COMIND_CACHE:-$HOME/.cache/comind-ops}/bin/sealed-secrets-controller-<version>/:
#   controller   the controller binary (`go install github.com/bitnami-labs/sealed-secrets/cmd/controller@V`;
#                the module has no replace directives)
#   crd.yaml     the SealedSecret CRD of the same version, taken from the downloaded module
#                (helm/sealed-secrets/crds/bitnami.com_sealedsecrets.yaml)
# Never rebuilt once present ("warm"). Nothing is written inside the clone.
# Environment: COMIND_CACHE, GO (go binary), COMIND_BUILD_JOBS (go build -p, default: CPUs),
# COMIND_BUILD_MEMLIMIT (GOMEMLIMIT, default 3GiB).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=sealed-secrets.env
source "$HERE/sealed-secrets.env"
V="$SEALED_SECRETS_VERSION"
CACHE="${COMIND_CACHE:-$HOME/.cache/comind-ops}"
BIN="$CACHE/bin"
LOGS="$CACHE/buildlogs"
DEST="$BIN/sealed-secrets-controller-$V"
MODULE=github.com/bitnami-labs/sealed-secrets

if [[ "${1:-}" == "--print" ]]; then
  echo "sealed-secrets-controller=$DEST/controller"
  echo "sealed-secrets-crd=$DEST/crd.yaml"
  exit 0
fi

GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
if [[ ! -x "$GO" ]]; then
  echo "build-sealed-secrets.sh: no Go toolchain found (set GO=/path/to/go; Go >= 1.26.8 needed for $V)" >&2
  exit 2
fi
export GOMEMLIMIT="${COMIND_BUILD_MEMLIMIT:-3GiB}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
export CGO_ENABLED=0
JOBS="${COMIND_BUILD_JOBS:-$(nproc)}"
mkdir -p "$BIN" "$LOGS"

main() {
  local t0 tmp log dir rc
  t0=$(date +%s)
  exec 9>"$BIN/.sealed-secrets.build.lock"   # one build at a time per cache
  flock 9
  if [[ -x "$DEST/controller" && -s "$DEST/crd.yaml" ]]; then
    echo "component sealed-secrets-controller $V: warm 0s"
    return 0
  fi
  log="$LOGS/sealed-secrets-controller-$V.log"
  tmp="$(mktemp -d "$BIN/.sealed-secrets-controller-$V.XXXXXX")"; chmod 755 "$tmp"
  set +e
  {
    echo "+ go install $MODULE/cmd/controller@$V"
    # VERSION is what `controller --version` and the startup log report.
    /usr/bin/time -v -o "$log.time" env GOBIN="$tmp" "$GO" install -p "$JOBS" -trimpath \
      -ldflags "-s -w -X main.VERSION=$V" "$MODULE/cmd/controller@$V"
  } >"$log" 2>&1
  rc=$?
  set -e
  dir="$(cd "$tmp" && "$GO" mod download -json "$MODULE@$V" 2>>"$log" \
         | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')" || true
  if [[ $rc -eq 0 && -f "$dir/helm/sealed-secrets/crds/bitnami.com_sealedsecrets.yaml" ]]; then
    cp "$dir/helm/sealed-secrets/crds/bitnami.com_sealedsecrets.yaml" "$tmp/crd.yaml"
  fi
  if [[ $rc -ne 0 || ! -x "$tmp/controller" || ! -s "$tmp/crd.yaml" ]]; then
    rm -rf "$tmp"
    {
      echo "component sealed-secrets-controller $V: FAILED (exit $rc, module dir '${dir:-?}') — last lines of $log:"
      tail -n 40 "$log" | sed 's/^/    /'
    } >&2
    return 1
  fi
  rm -rf "$DEST"; mv "$tmp" "$DEST"
  local rss
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%d", $2/1024}' "$log.time")
  echo "component sealed-secrets-controller $V: cold $(( $(date +%s) - t0 ))s (peak RSS of one process ${rss:-?} MiB)"
}

main; exit $?
