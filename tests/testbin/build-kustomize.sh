#!/usr/bin/env bash
# Builds the standalone kustomize (v5.5.0, the version kubectl 1.32+ embeds) from the Go module proxy into
# ${COMIND_CACHE:-$HOME/.cache/comind-ops}/bin/kustomize-v5.5.0/kustomize, and the kustomize worker
# (tools/kustomize-worker: the same kustomize code serving many folders per process) into
# ${COMIND_CACHE:-$HOME/.cache/comind-ops}/bin/comind-kustomize-worker, where the adapter looks for it.
# Why: `comind validate` prefers a kustomize binary over `kubectl kustomize` — it starts about five times faster,
# which is most of the cost of validating hundreds of overlays — and the worker over both (half the CPU again).
# Without them everything still works via kubectl.
# Tests and benchmarks pick it up through COMIND_KUSTOMIZE (see tests/helpers_validate.py). --print: the path.
set -euo pipefail
version=v5.5.0
cache=${COMIND_CACHE:-$HOME/.cache/comind-ops}
dest=$cache/bin/kustomize-$version
source=$(cd "$(dirname "$0")/../../tools/kustomize-worker" && pwd)
worker=$cache/bin/comind-kustomize-worker
if [[ ${1:-} == --print ]]; then echo "$dest/kustomize"; exit 0; fi
go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}

build_worker() {  # rebuilt whenever its source is newer than the binary
  if [[ -x $worker && ! $source/main.go -nt $worker && ! $source/go.sum -nt $worker ]]; then
    echo "component kustomize-worker: warm 0s"; return
  fi
  local start; start=$(date +%s)
  (cd "$source" && GOFLAGS=-mod=readonly "$go" build -trimpath -buildvcs=false -o "$worker.tmp" . && mv "$worker.tmp" "$worker")
  echo "component kustomize-worker: cold $(( $(date +%s) - start ))s"
}

if [[ -x $dest/kustomize ]]; then echo "component kustomize $version: warm 0s"; build_worker; exit 0; fi
mkdir -p "$dest"
start=$(date +%s)
GOBIN=$dest "$go" install "sigs.k8s.io/kustomize/kustomize/v5@$version"
echo "component kustomize $version: cold $(( $(date +%s) - start ))s"
build_worker
