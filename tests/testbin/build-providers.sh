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
CACHE="${COMIND_CACHE:-$HOME/.cache/comind-ops}"
MIRROR="$CACHE/terraform-mirror"
RC="$MIRROR/terraformrc"
LOGS="$CACHE/buildlogs"
PLATFORM="$(go env GOOS 2>/dev/null || echo linux)_$(go env GOARCH 2>/dev/null || echo amd64)"

if [[ "${1:-}" == "--print" ]]; then
  echo "TERRAFORM_MIRROR=$MIRROR"
  echo "TF_CLI_CONFIG_FILE=$RC"
  exit 0
fi

GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
mkdir -p "$MIRROR" "$LOGS"
exec 9>"$MIRROR/.build.lock"
flock 9

cat >"$RC.tmp" <<RC
# Written by tests/testbin/build-providers.sh: providers come only from the local mirror.
provider_installation {
  filesystem_mirror {
    path    = "$MIRROR"
    include = ["registry.terraform.io/*/*"]
  }
}
RC
mv "$RC.tmp" "$RC"

# The stamp is a hash of the provider's sources: an edited provider is rebuilt under the same version.
src="$HERE/provider-localdev"
stamp="$(cd "$src" && cat go.mod go.sum ./*.go | sha256sum | cut -c1-16)"
dest="$MIRROR/registry.terraform.io/comind/localdev/$LOCALDEV_VERSION/$PLATFORM"
binary="$dest/terraform-provider-localdev_v$LOCALDEV_VERSION"
if [[ -x "$binary" && "$(cat "$dest/.stamp" 2>/dev/null)" == "$stamp" ]]; then
  echo "provider localdev $LOCALDEV_VERSION: warm ($binary)"
else
  [[ -x "$GO" ]] || { echo "build-providers.sh: no Go toolchain (set GO=/path/to/go)" >&2; exit 2; }
  echo "provider localdev $LOCALDEV_VERSION: building (log $LOGS/provider-localdev.log)"
  start=$(date +%s)
  mkdir -p "$dest"
  if ! (cd "$src" && CGO_ENABLED=0 GOFLAGS="${GOFLAGS:--mod=mod -buildvcs=false}" \
        "$GO" build -trimpath -ldflags "-s -w -X main.version=$LOCALDEV_VERSION" -o "$binary.tmp" .) \
        >"$LOGS/provider-localdev.log" 2>&1; then
    tail -20 "$LOGS/provider-localdev.log" >&2
    exit 1
  fi
  mv "$binary.tmp" "$binary"
  echo "$stamp" >"$dest/.stamp"
  echo "provider localdev $LOCALDEV_VERSION: cold build $(( $(date +%s) - start ))s"
fi

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
