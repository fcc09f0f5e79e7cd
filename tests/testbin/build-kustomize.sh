#!/usr/bin/env bash
# Builds the standalone kustomize (v5.5.0, the version kubectl 1.32+ embeds) from the Go module proxy into
# ${COMIND_CACHE:-$HOME/.cache/comind-ops}/bin/kustomize-v5.5.0/kustomize.
# Why: `comind validate` prefers a kustomize binary over `kubectl kustomize` — it starts about five times faster,
# which is most of the cost of validating hundreds of overlays. Without it everything still works via kubectl.
# Tests and benchmarks pick it up through COMIND_KUSTOMIZE (see tests/helpers_validate.py). --print: the path.
set -euo pipefail
version=v5.5.0
cache=${COMIND_CACHE:-$HOME/.cache/comind-ops}
dest=$cache/bin/kustomize-$version
if [[ ${1:-} == --print ]]; then echo "$dest/kustomize"; exit 0; fi
if [[ -x $dest/kustomize ]]; then echo "component kustomize $version: warm 0s"; exit 0; fi
go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
mkdir -p "$dest"
start=$(date +%s)
GOBIN=$dest "$go" install "sigs.k8s.io/kustomize/kustomize/v5@$version"
echo "component kustomize $version: cold $(( $(date +%s) - start ))s"
