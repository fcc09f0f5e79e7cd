#!/usr/bin/env bash
# Build the locally built service images for the test suite (nothing can be pulled here).
#
#   comind-test/bookworm:minbase   debootstrap --variant=minbase + docker import
#   comind-test/bookworm:base      + procps iproute2 curl (shared layer)
#   comind-test/postgres:15        Debian postgresql-15, own entrypoint
#   comind-test/redis:7            Debian redis-server
#   comind-test/elasticmq:<ver>    Debian JRE 17 + jars from Maven Central
#   comind-test/minio:<ver>        go install github.com/minio/minio@<pseudo-version>
#   comind-test/s3-moto:<ver>      stand-in when MinIO cannot be built
#
# Each image carries a label comind.ops/context-hash (Dockerfile dir + pinned version +
# parent image id); an image whose tag exists with the same hash is skipped ("warm").
# Prints one line per image:  image <name>: cold|warm <seconds>s
#
# Usage: build-images.sh [--force] [--s3 auto|minio|moto] [--only name,name]
# Env:   COMIND_CACHE (default ~/.cache/comind-ops), DOCKER_HOST (default the test engine),
#        MINIO_BUILD_TIMEOUT (seconds, default 1200)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
IMAGES="$HERE/images"
CACHE="${COMIND_CACHE:-$HOME/.cache/comind-ops}"
LOGS="$CACHE/logs"
export DOCKER_HOST="${DOCKER_HOST:-unix:///run/comind-docker/docker.sock}"
export DOCKER_BUILDKIT=0   # engine 20.10 without buildx: legacy builder
FORCE=0
S3_MODE="${COMIND_S3_IMAGE:-auto}"
ONLY=""

while [ $# -gt 0 ]; do
  case "$1" in
    --force) FORCE=1 ;;
    --s3) S3_MODE="$2"; shift ;;
    --only) ONLY=",$2,"; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "build-images: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

# Pinned versions; values already in the environment win.
while IFS='=' read -r key value; do
  [ -z "${!key:-}" ] && printf -v "$key" '%s' "$value"
done < <(grep -E '^[A-Z_]+=' "$IMAGES/versions.env")
ELASTICMQ_TAG="comind-test/elasticmq:$ELASTICMQ_VERSION"
MINIO_TAG="comind-test/minio:$MINIO_TAG_VERSION"
MOTO_TAG="comind-test/s3-moto:$MOTO_VERSION"

mkdir -p "$CACHE/images" "$LOGS"
log() { echo "build-images: $*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
report() { printf 'image %s: %s %ss\n' "$1" "$2" "$(since "$3")"; }
wanted() { [ -z "$ONLY" ] || [[ "$ONLY" == *",$1,"* ]]; }
image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }
image_hash() { docker image inspect -f '{{index .Config.Labels "comind.ops/context-hash"}}' "$1" 2>/dev/null || true; }
dir_hash() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16; }

if ! docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
  log "no Docker engine at $DOCKER_HOST (run tests/testbin/setup-docker.sh as root first)"; exit 1
fi

# --- base: debootstrap rootfs (tarball cached) + docker import ---------------------------
build_minbase() {
  local t0 hash tarball rootfs
  t0="$(now)"
  hash="debootstrap-$BOOKWORM_SUITE-minbase-$(echo "$DEBIAN_MIRROR" | sha256sum | cut -c1-8)"
  if [ "$FORCE" = 0 ] && [ "$(image_hash "$BASE_TAG")" = "$hash" ]; then report bookworm-minbase warm "$t0"; return; fi
  tarball="$CACHE/images/$BOOKWORM_SUITE-minbase.rootfs.tar"
  if [ ! -s "$tarball" ]; then
    command -v debootstrap >/dev/null || { log "debootstrap missing (apt-get install -y debootstrap)"; return 1; }
    rootfs="$(mktemp -d "$CACHE/images/rootfs.XXXXXX")"
    log "debootstrap $BOOKWORM_SUITE into $rootfs (log $LOGS/debootstrap.log)"
    debootstrap --variant=minbase "$BOOKWORM_SUITE" "$rootfs" "$DEBIAN_MIRROR" >"$LOGS/debootstrap.log" 2>&1
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -cf "$tarball.partial" .
    mv "$tarball.partial" "$tarball"
    rm -rf "$rootfs"
  fi
  docker import \
    -c 'LABEL comind.ops/test-image=true' -c "LABEL comind.ops/context-hash=$hash" \
    -c 'ENV LANG=C.UTF-8' -c 'CMD ["/bin/bash"]' \
    "$tarball" "$BASE_TAG" >/dev/null
  report bookworm-minbase cold "$t0"
}

# --- docker build of images/<dir> on top of <parent> -------------------------------------
# build_dir NAME TAG DIR PARENT EXTRA_KEY [--ctx-hook FUNC] [build-arg ...]
build_dir() {
  local name="$1" tag="$2" dir="$3" parent="$4" extra="$5"; shift 5
  local hook=""
  if [ "${1:-}" = --ctx-hook ]; then hook="$2"; shift 2; fi
  local t0 hash ctx args=() a
  t0="$(now)"
  hash="$(echo "$(dir_hash "$IMAGES/$dir") $(image_id "$parent") $extra" | sha256sum | cut -c1-16)"
  if [ "$FORCE" = 0 ] && [ "$(image_hash "$tag")" = "$hash" ]; then report "$name" warm "$t0"; return; fi
  ctx="$(mktemp -d "${TMPDIR:-/tmp}/comind-ctx.XXXXXX")"
  cp -a "$IMAGES/$dir/." "$ctx/"
  if [ -n "$hook" ]; then "$hook" "$ctx" || { rm -rf "$ctx"; return 1; }; fi
  for a in "$@"; do args+=(--build-arg "$a"); done
  if ! docker build --network host --pull=false --force-rm -t "$tag" \
        --label comind.ops/test-image=true --label "comind.ops/context-hash=$hash" \
        "${args[@]}" "$ctx" >"$LOGS/build-$name.log" 2>&1; then
    rm -rf "$ctx"; log "docker build of $name failed; tail of $LOGS/build-$name.log:"
    tail -n 25 "$LOGS/build-$name.log" >&2; return 1
  fi
  rm -rf "$ctx"
  report "$name" cold "$t0"
}

# --- ElasticMQ classpath from Maven Central (cached) -------------------------------------
elasticmq_jars() {
  local lib="$CACHE/elasticmq/$ELASTICMQ_VERSION/lib" tmp
  if [ ! -f "$lib/.complete" ]; then
    command -v mvn >/dev/null || { log "mvn missing: cannot resolve ElasticMQ jars"; return 1; }
    tmp="$(mktemp -d)"; rm -rf "$lib"; mkdir -p "$lib"
    cat >"$tmp/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.comind</groupId><artifactId>elasticmq-classpath</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.elasticmq</groupId><artifactId>elasticmq-server_2.13</artifactId>
      <version>$ELASTICMQ_VERSION</version></dependency>
  </dependencies>
</project>
POM
    (cd "$tmp" && mvn -q -B dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$lib") \
      >"$LOGS/elasticmq-mvn.log" 2>&1 || { log "mvn failed, see $LOGS/elasticmq-mvn.log"; rm -rf "$tmp"; return 1; }
    rm -rf "$tmp"; touch "$lib/.complete"
  fi
  echo "$lib"
}
elasticmq_ctx() { local lib; lib="$(elasticmq_jars)" || return 1; mkdir -p "$1/lib"; cp "$lib"/*.jar "$1/lib/"; }

# --- MinIO binary from the Go module proxy (cached) ---------------------------------------
minio_binary() {
  local bindir="$CACHE/minio/bin-$MINIO_MODULE_VERSION" t0 rc
  mkdir -p "$CACHE/minio"
  if [ ! -x "$bindir/minio" ]; then
    command -v go >/dev/null || { echo "go not found" >"$CACHE/minio/build-error.log"; return 1; }
    t0="$(date +%s)"
    log "go install github.com/minio/minio@$MINIO_MODULE_VERSION (cold build takes minutes; log $LOGS/minio-go.log)"
    rc=0
    GOBIN="$bindir" CGO_ENABLED=0 GOFLAGS=-buildvcs=false timeout "${MINIO_BUILD_TIMEOUT:-1200}" \
      go install "github.com/minio/minio@$MINIO_MODULE_VERSION" >"$LOGS/minio-go.log" 2>&1 || rc=$?
    if [ "$rc" != 0 ]; then
      { echo "go install exit $rc after $(( $(date +%s) - t0 ))s"; tail -n 40 "$LOGS/minio-go.log"; } >"$CACHE/minio/build-error.log"
      return 1
    fi
    log "minio built in $(( $(date +%s) - t0 ))s"
  fi
  echo "$bindir/minio"
}
minio_ctx() { local bin; bin="$(minio_binary)" || return 1; mkdir -p "$1/bin"; cp "$bin" "$1/bin/minio"; }

# --- moto wheels downloaded on the host (cached) -----------------------------------------
moto_wheels() {
  local dir="$CACHE/moto/$MOTO_VERSION/wheels"
  if [ ! -f "$dir/.complete" ]; then
    rm -rf "$dir"; mkdir -p "$dir"
    # host and image are both Debian 12 / CPython 3.11 / x86_64: wheels built here install there
    python3 -m pip wheel -q -w "$dir" "moto[server]==$MOTO_VERSION" >"$LOGS/moto-pip.log" 2>&1 \
      || { log "pip wheel of moto failed, see $LOGS/moto-pip.log"; return 1; }
    touch "$dir/.complete"
  fi
  echo "$dir"
}
moto_ctx() { local dir; dir="$(moto_wheels)" || return 1; mkdir -p "$1/wheels"; cp "$dir"/*.whl "$1/wheels/"; }

build_s3() {
  case "$S3_MODE" in
    moto) build_dir s3-moto "$MOTO_TAG" s3-moto "$COMMON_TAG" "$MOTO_VERSION" --ctx-hook moto_ctx "MOTO_VERSION=$MOTO_VERSION" ;;
    minio) build_dir minio "$MINIO_TAG" minio "$COMMON_TAG" "$MINIO_MODULE_VERSION" --ctx-hook minio_ctx \
             "MINIO_MODULE_VERSION=$MINIO_MODULE_VERSION" ;;
    auto)
      if ! build_dir minio "$MINIO_TAG" minio "$COMMON_TAG" "$MINIO_MODULE_VERSION" --ctx-hook minio_ctx \
             "MINIO_MODULE_VERSION=$MINIO_MODULE_VERSION"; then
        log "MinIO unavailable ($(head -n 1 "$CACHE/minio/build-error.log" 2>/dev/null || echo see logs)); building moto stand-in"
        build_dir s3-moto "$MOTO_TAG" s3-moto "$COMMON_TAG" "$MOTO_VERSION" --ctx-hook moto_ctx "MOTO_VERSION=$MOTO_VERSION"
      fi ;;
    *) log "--s3 must be auto, minio or moto"; return 2 ;;
  esac
}

T0="$(now)"
wanted bookworm-minbase || wanted base || [ -z "$(image_id "$BASE_TAG")" ] && build_minbase
wanted base || [ -z "$(image_id "$COMMON_TAG")" ] && build_dir base "$COMMON_TAG" base "$BASE_TAG" ""

# The service images only share the base; build them concurrently (apt downloads and the
# MinIO Go build overlap well on two cores).
declare -A PIDS=()
OUT="$(mktemp -d)"
run_bg() { local n="$1"; shift; ( "$@" >"$OUT/$n.out" 2>"$OUT/$n.err" ) & PIDS[$n]=$!; }
wanted postgres  && run_bg postgres  build_dir postgres "$POSTGRES_TAG" postgres "$COMMON_TAG" ""
wanted redis     && run_bg redis     build_dir redis "$REDIS_TAG" redis "$COMMON_TAG" ""
wanted elasticmq && run_bg elasticmq build_dir elasticmq "$ELASTICMQ_TAG" elasticmq "$COMMON_TAG" \
                      "$ELASTICMQ_VERSION" --ctx-hook elasticmq_ctx "ELASTICMQ_VERSION=$ELASTICMQ_VERSION"
{ wanted s3 || wanted minio || wanted s3-moto; } && run_bg s3 build_s3
FAILED=0
for n in "${!PIDS[@]}"; do
  if ! wait "${PIDS[$n]}"; then FAILED=1; fi
  cat "$OUT/$n.err" >&2; cat "$OUT/$n.out"
done
rm -rf "$OUT"
echo "build-images: total $(since "$T0")s" >&2
exit "$FAILED"
