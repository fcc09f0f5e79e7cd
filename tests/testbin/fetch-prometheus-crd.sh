#!/usr/bin/env bash
# Fetch the Prometheus Operator's ServiceMonitor CRD (what kube-prometheus-stack installs) from the Go module proxy.
#
#   tests/testbin/fetch-prometheus-crd.sh           fetch it if missing
#   tests/testbin/fetch-prometheus-crd.sh --print   print where it lands and exit
#
# Lands in ${COMIND_CACHE:-$HOME/.cache/comind-ops}/bin/prometheus-operator-<version>/servicemonitors.yaml, copied
# from the module zip (`go mod download github.com/prometheus-operator/prometheus-operator@V`,
# example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml). Nothing is built; nothing is written
# inside the clone. Environment: COMIND_CACHE, GO (go binary).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=prometheus-operator.env
source "$HERE/prometheus-operator.env"
V="$PROMETHEUS_OPERATOR_VERSION"
DEST="${COMIND_CACHE:-$HOME/.cache/comind-ops}/bin/prometheus-operator-$V"
MODULE=github.com/prometheus-operator/prometheus-operator
CRD=example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml

if [[ "${1:-}" == "--print" ]]; then
  echo "servicemonitor-crd=$DEST/servicemonitors.yaml"
  exit 0
fi
if [[ -s "$DEST/servicemonitors.yaml" ]]; then
  echo "component prometheus-operator-crd $V: warm 0s"
  exit 0
fi
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
if [[ ! -x "$GO" ]]; then
  echo "fetch-prometheus-crd.sh: no Go toolchain found (set GO=/path/to/go)" >&2
  exit 2
fi
t0=$(date +%s)
dir="$("$GO" mod download -json "$MODULE@$V" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
if [[ -z "$dir" || ! -s "$dir/$CRD" ]]; then
  echo "fetch-prometheus-crd.sh: $MODULE@$V has no $CRD" >&2
  exit 1
fi
mkdir -p "$DEST"
cp "$dir/$CRD" "$DEST/servicemonitors.yaml.partial"
mv "$DEST/servicemonitors.yaml.partial" "$DEST/servicemonitors.yaml"
echo "component prometheus-operator-crd $V: cold $(( $(date +%s) - t0 ))s"
