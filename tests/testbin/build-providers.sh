#!/usr/bin/env bash
# Build the Terraform providers the tests use into a filesystem mirror, and write a CLI config using it.
#
#   tests/testbin/build-providers.sh          build what is missing or stale
#   tests/testbin/build-providers.sh --print  print the mirror folder and the CLI config path
#
# Mirror: ${COMIND_CACHE:-$HOME/.cache/comind-ops}/terraform-mirror/registry.terraform.io/<ns>/<type>/<version>/linux_amd64/
# CLI config: .../terraform-mirror/terraformrc (export TF_CLI_CONFIG_FILE to it). No registry is contacted.
# Without terraform on PATH, OpenTofu is go-installed into the cache (bin/tofu-<version>/tofu).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=providers.env
source "$HERE/providers.env"
cd "$HERE/../.."  # the repository root, so that `python -m comind_scaffold…` finds the package
CACHE="${COMIND_CACHE:-$HOME/.cache/comind-ops}"
MIRROR="$CACHE/terraform-mirror"
RC="$MIRROR/terraformrc"
LOGS="$CACHE/buildlogs"

if [[ "${1:-}" == "--print" ]]; then
  echo "TERRAFORM_MIRROR=$MIRROR"
  echo "TF_CLI_CONFIG_FILE=$RC"
  exit 0
fi

GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
mkdir -p "$MIRROR" "$LOGS"
# comind/localdev is built by the product itself (comind_scaffold/providers.py, sources in
# comind_scaffold/provider_localdev/), which also writes the CLI config: one build for tests and users alike.
PY="${VPY:-python3}"
COMIND_CACHE="$CACHE" GO="$GO" "$PY" -m comind_scaffold.providers

if ! command -v terraform >/dev/null 2>&1 && ! command -v tofu >/dev/null 2>&1; then
  tofu_bin="$CACHE/bin/tofu-$OPENTOFU_VERSION"
  if [[ -x "$tofu_bin/tofu" ]]; then
    echo "provider tofu $OPENTOFU_VERSION: warm ($tofu_bin/tofu)"
  else
    echo "no terraform on PATH: go-installing OpenTofu $OPENTOFU_VERSION (log $LOGS/tofu.log)"
    start=$(date +%s)
    GOBIN="$tofu_bin" CGO_ENABLED=0 "$GO" install "github.com/opentofu/opentofu/cmd/tofu@$OPENTOFU_VERSION" \
      >"$LOGS/tofu.log" 2>&1 || { tail -20 "$LOGS/tofu.log" >&2; exit 1; }
    echo "provider tofu $OPENTOFU_VERSION: cold build $(( $(date +%s) - start ))s"
  fi
  echo "put $tofu_bin on PATH (or set COMIND_TERRAFORM=$tofu_bin/tofu)"
fi
echo "export TF_CLI_CONFIG_FILE=$RC"
