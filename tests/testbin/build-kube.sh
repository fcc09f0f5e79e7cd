#!/usr/bin/env bash
# Build the Kubernetes control plane used by the test suite from Go modules.
#
#   tests/testbin/build-kube.sh            build what is missing
#   tests/testbin/build-kube.sh etcd kwok  build only the named components
#   tests/testbin/build-kube.sh --print    print the binary paths and exit
#
# Binaries land in ${COMIND_CACHE:-$HOME/.cache/comind-ops}/bin/<component>-<version>/<binary>
# and are never rebuilt once present ("warm"). Nothing is written inside the clone.
# If KUBEBUILDER_ASSETS names a folder holding kube-apiserver and etcd (envtest layout),
# those two are used as they are and not built.
#
# Environment: COMIND_CACHE, KUBEBUILDER_ASSETS, GO (go binary), COMIND_BUILD_JOBS
# (go build -p, default: number of CPUs), COMIND_BUILD_MEMLIMIT (GOMEMLIMIT for the
# compiler/linker processes, default 3GiB), COMIND_BUILD_SERIAL=1 (one build at a time).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$HERE/versions.env"
CACHE="${COMIND_CACHE:-$HOME/.cache/comind-ops}"
BIN="$CACHE/bin"
LOGS="$CACHE/buildlogs"

if [[ "${1:-}" == "--print" ]]; then
  for c in "kube-apiserver $KUBE_VERSION" "kube-controller-manager $KUBE_VERSION" \
           "kube-scheduler $KUBE_VERSION" "etcd $ETCD_VERSION" "kwok $KWOK_VERSION"; do
    set -- $c; echo "$1=$BIN/$1-$2/$1"
  done
  exit 0
fi

WANT=" ${*:-kube-apiserver kube-controller-manager kube-scheduler etcd kwok} "
wanted() { [[ "$WANT" == *" $1 "* ]]; }

GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
if [[ ! -x "$GO" ]]; then
  echo "build-kube.sh: no Go toolchain found (set GO=/path/to/go; Go >= 1.26 needed)" >&2
  exit 2
fi
JOBS="${COMIND_BUILD_JOBS:-$(nproc)}"
export GO JOBS HERE KUBE_VERSION ETCD_VERSION KWOK_VERSION
export GOMEMLIMIT="${COMIND_BUILD_MEMLIMIT:-3GiB}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
export CGO_ENABLED=0
mkdir -p "$BIN" "$LOGS"

# One build at a time per cache (two pytest sessions may call this together).
exec 9>"$BIN/.build.lock"
flock 9

KUBE_LDFLAGS="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  KUBE_LDFLAGS+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1"
  KUBE_LDFLAGS+=" -X $pkg.gitMinor=$(echo "$KUBE_VERSION" | cut -d. -f2) -X $pkg.gitTreeState=clean"
done

assets_have() {  # assets_have <binary>: KUBEBUILDER_ASSETS supplies it
  [[ -n "${KUBEBUILDER_ASSETS:-}" && -x "$KUBEBUILDER_ASSETS/kube-apiserver" \
     && -x "$KUBEBUILDER_ASSETS/etcd" && -x "$KUBEBUILDER_ASSETS/$1" ]]
}

external() {  # a binary taken from KUBEBUILDER_ASSETS: report its own version, build nothing
  local v
  v="$("$KUBEBUILDER_ASSETS/$1" --version 2>/dev/null | head -n1 | awk '{print $NF}')"
  echo "component $1 ${v:-unknown}: warm 0s (KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS)"
}

# build <component> <version> <command...>: the command must write "$OUT/<component>".
build() {
  local name="$1" version="$2"; shift 2
  local dest="$BIN/$name-$version" start end log rc
  wanted "$name" || return 0
  start=$(date +%s)
  if [[ -x "$dest/$name" ]]; then
    echo "component $name $version: warm 0s"
    return 0
  fi
  log="$LOGS/$name-$version.log"
  local tmp; tmp="$(mktemp -d "$BIN/.$name-$version.XXXXXX")"; chmod 755 "$tmp"
  export OUT="$tmp"
  set +e
  if declare -F "$1" >/dev/null; then  # a function of this script: run it in a child bash
    set -- bash -c "set -euo pipefail; $(declare -f "$1"); $1"
  fi
  local shown="$*"
  { echo "+ ${shown:0:300}"; /usr/bin/time -v -o "$log.time" "$@"; } >"$log" 2>&1
  rc=$?
  set -e
  if [[ $rc -ne 0 || ! -x "$tmp/$name" ]]; then
    rm -rf "$tmp"
    {
      echo "component $name $version: FAILED (exit $rc) — last lines of $log:"
      tail -n 40 "$log" | sed 's/^/    /'
      grep -E 'Elapsed|Maximum resident' "$log.time" 2>/dev/null | sed 's/^[[:space:]]*/    time: /'
    } >&2
    return 1
  fi
  rm -rf "$dest"; mv "$tmp" "$dest"
  end=$(date +%s)
  local rss; rss=$(awk -F': ' '/Maximum resident set size/ {printf "%d", $2/1024}' "$log.time")
  echo "component $name $version: cold $((end - start))s (peak RSS of one process ${rss:-?} MiB)"
}

kube_lane() {
  cd "$HERE/kube"
  local b
  for b in kube-apiserver kube-controller-manager kube-scheduler; do
    if assets_have "$b" && [[ "$b" == kube-apiserver ]]; then
      external "$b"; continue
    fi
    build "$b" "$KUBE_VERSION" sh -c "exec \"$GO\" build -mod=readonly -p $JOBS -trimpath \
      -ldflags \"$KUBE_LDFLAGS\" -o \"\$OUT/$b\" k8s.io/kubernetes/cmd/$b" || return 1
  done
}

other_lane() {
  if assets_have etcd; then
    external etcd
  else
    (cd "$HERE/etcd" && build etcd "$ETCD_VERSION" sh -c "exec \"$GO\" build -mod=readonly -p $JOBS \
      -trimpath -ldflags '-s -w' -o \"\$OUT/etcd\" go.etcd.io/etcd/server/v3") || return 1
  fi
  build kwok "$KWOK_VERSION" build_kwok || return 1
}

# kwok's go.mod has no replace directives: plain go install works. Standalone kwok
# needs its Stage configuration ("no stages found" otherwise): we take kwok's own
# default "fast" set (node/fast + node/heartbeat-with-lease + pod/fast) from the
# downloaded module and keep it next to the binary as stages.yaml.
build_kwok() {
  GOBIN="$OUT" "$GO" install -p "$JOBS" -trimpath \
    -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" \
    "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  local dir
  dir="$(cd "$HERE" && "$GO" mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" \
         | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -d "$dir/kustomize/stage" ]] || { echo "kwok module folder not found (got '$dir')"; return 1; }
  local d f
  for d in node/fast node/heartbeat-with-lease pod/fast; do
    for f in "$dir/kustomize/stage/$d"/*.yaml; do
      [[ "$(basename "$f")" == kustomization.yaml ]] && continue
      echo "---"; cat "$f"
    done
  done >"$OUT/stages.yaml"
}

main() {
  local t0 rc=0 other
  t0=$(date +%s)
  if [[ "${COMIND_BUILD_SERIAL:-0}" == 1 ]]; then
    other_lane || rc=$?
    [[ $rc -ne 0 ]] || kube_lane || rc=$?
  else
    other_lane & other=$!
    kube_lane || rc=$?
    wait "$other" || rc=$?
  fi
  if [[ $rc -ne 0 ]]; then echo "build-kube.sh: FAILED (see above)" >&2; return "$rc"; fi
  echo "all components ready in $(( $(date +%s) - t0 ))s under $BIN"
}

# Everything above is definitions: bash has read the whole file before any build starts, so
# editing this script (or a git checkout) during a long build cannot derail it.
main; exit $?
