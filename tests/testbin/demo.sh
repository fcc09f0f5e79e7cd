#!/usr/bin/env bash
# `make demo`: the main job on an embedded default. Renders a platform and two apps into $DEMO_DIR, validates them,
# starts the local services when a Docker engine answers, and runs the verifier layers that can run here.
set -euo pipefail
comind="${COMIND:?COMIND names the comind executable}"
vpy="${VPY:?VPY names the virtualenv python}"
demo="${DEMO_DIR:?}"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-comind-demo}" GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-demo@comind.invalid}"
export GIT_COMMITTER_NAME="${GIT_COMMITTER_NAME:-comind-demo}" GIT_COMMITTER_EMAIL="${GIT_COMMITTER_EMAIL:-demo@comind.invalid}"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

rm -rf "$demo" && mkdir -p "$demo"
platform="$demo/platform"

step "1/5 render a platform from $repo"
"$comind" init "$platform" --template "$repo" --vcs-ref HEAD --data redis_enabled=true --data elasticmq_enabled=true
cd "$platform"
git init -q -b main && git add -A && git commit -qm "platform from comind-ops"

step "2/5 onboard two apps"
"$comind" new-app orders-api --team backend --with-database --with-cache --with-storage
git add -A && git commit -qm "orders-api"
"$comind" new-app billing-worker --team frontend --with-queue --env dev --env stage
git add -A && git commit -qm "billing-worker"

step "3/5 validate offline (kustomize + schemas + policy)"
"$comind" validate .

step "4/5 local services"
if "$vpy" -c 'import docker,sys; docker.from_env(timeout=3).ping()' >/dev/null 2>&1; then
  # No registry is reachable on an offline machine: fall back to the locally built images of the test suite.
  "$vpy" "$repo/tests/testbin/demo_local_images.py" "$repo/tests/testbin/images/versions.env" infra/docker/registry/services.yaml
  "$comind" services up && "$comind" services status
  layers="static or services"
else
  echo "No Docker engine answers (DOCKER_HOST=${DOCKER_HOST:-unset}): services not started; start one with tests/testbin/setup-docker.sh"
  layers="static"
fi

step "5/5 verifier layers that can run here: $layers"
"$vpy" -m pytest verify/ --profile local -m "$layers" -q   # the platform's own verify/, as its users run it

step "made"
git ls-files | awk -F/ '{print (NF > 2 ? $1"/"$2"/" : $0)}' | sort | uniq -c
echo "platform repository: $platform"
