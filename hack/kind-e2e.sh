#!/usr/bin/env bash
# `make kind-e2e`: LatticeGuard's image and Helm chart in a real cluster. Creates a kind cluster (or reuses
# one of the same name), builds the image (`make image`), loads it into the cluster's nodes, runs the
# scenario in test/e2e/kind.ts (install the chart, rotation, admission, metrics), and deletes the cluster.
#
#   hack/kind-e2e.sh                  # needs a running Docker engine, and Go to install kind once
#   KEEP_CLUSTER=1 hack/kind-e2e.sh   # keep the cluster afterwards (its kubeconfig is printed)
#
# kind is built from the Go module proxy once and cached with the other tools, under
# ${LATTICEGUARD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/latticeguard}/tools/kind-<version>/.
# Overrides: KIND (a kind binary to use instead), KIND_VERSION, KIND_NODE_IMAGE, KIND_CLUSTER,
# IMAGE_REPOSITORY.
set -euo pipefail

# The Docker engine first: without one nothing below can work, so say so before doing anything.
if ! command -v docker >/dev/null 2>&1; then
  echo "make kind-e2e needs Docker (the docker CLI and a running engine); the docker command is not installed" >&2
  exit 2
fi
if ! docker info >/dev/null 2>&1; then
  echo "make kind-e2e needs a running Docker engine; none is reachable ('docker info' failed)" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$root/node_modules/.bin:$PATH"

# kind v0.32.0 and the node image it was released with: Kubernetes 1.36, the minor the local control plane
# runs (hack/versions.env), within one minor of the kubectl the scripts use.
KIND_VERSION="${KIND_VERSION:-v0.32.0}"
KIND_NODE_IMAGE="${KIND_NODE_IMAGE:-kindest/node:v1.36.1@sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5}"
KIND_CLUSTER="${KIND_CLUSTER:-latticeguard-e2e}"
IMAGE_REPOSITORY="${IMAGE_REPOSITORY:-ghcr.io/latticeguard/latticeguard}"

log() { echo "kind-e2e: $*" >&2; }
die() { log "$*"; exit 1; }

# Installs kind $KIND_VERSION into the cache once; prints its path.
kind_binary() {
  if [[ -n "${KIND:-}" ]]; then echo "$KIND"; return; fi
  local dir
  dir="${LATTICEGUARD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/latticeguard}/tools/kind-$KIND_VERSION"
  if [[ ! -x "$dir/kind" ]]; then
    command -v go >/dev/null 2>&1 || die "Go is needed to install kind $KIND_VERSION (or set KIND to a kind binary)"
    log "installing kind $KIND_VERSION from the Go module proxy (once; cached in $dir)"
    GOBIN="$dir" CGO_ENABLED=0 GOFLAGS=-mod=mod GOWORK=off go install "sigs.k8s.io/kind@$KIND_VERSION" >&2 \
      || die "could not install kind $KIND_VERSION (see the Go output above)"
  fi
  echo "$dir/kind"
}

kind="$(kind_binary)"
"${MAKE:-make}" deps

# The kubeconfig lives with `make dev`'s, outside version control; `make clean` removes it.
state="$root/.dev/kind-e2e"
kubeconfig="$state/kubeconfig"
mkdir -p "$state"

clusters="$("$kind" get clusters 2>/dev/null || true)"
if grep -qx "$KIND_CLUSTER" <<<"$clusters"; then
  log "reusing the kind cluster $KIND_CLUSTER"
  "$kind" export kubeconfig --name "$KIND_CLUSTER" --kubeconfig "$kubeconfig"
else
  log "creating the kind cluster $KIND_CLUSTER ($KIND_NODE_IMAGE)"
  "$kind" create cluster --name "$KIND_CLUSTER" --image "$KIND_NODE_IMAGE" --kubeconfig "$kubeconfig" --wait 2m
fi

finish() {
  local code=$?
  if [[ $code -ne 0 ]]; then
    "$kind" export logs "$state/logs" --name "$KIND_CLUSTER" >/dev/null 2>&1 \
      && log "the cluster's logs are in $state/logs"
  fi
  if [[ "${KEEP_CLUSTER:-}" == 1 ]]; then
    log "kept the cluster $KIND_CLUSTER: export KUBECONFIG=$kubeconfig"
  else
    log "deleting the kind cluster $KIND_CLUSTER (KEEP_CLUSTER=1 keeps it)"
    "$kind" delete cluster --name "$KIND_CLUSTER" >/dev/null 2>&1 || log "could not delete the cluster $KIND_CLUSTER"
  fi
  exit "$code"
}
trap finish EXIT

"${MAKE:-make}" image IMAGE="$IMAGE_REPOSITORY:e2e"
# Tag by content, so that a kept cluster rolls out a rebuilt image instead of keeping the pods it has.
id="$(docker image inspect --format '{{.Id}}' "$IMAGE_REPOSITORY:e2e")"
digest="${id#sha256:}"
tag="e2e-${digest:0:12}"
docker tag "$IMAGE_REPOSITORY:e2e" "$IMAGE_REPOSITORY:$tag"
log "loading $IMAGE_REPOSITORY:$tag into the cluster's nodes"
"$kind" load docker-image "$IMAGE_REPOSITORY:$tag" --name "$KIND_CLUSTER"

node test/e2e/kind.ts --kubeconfig "$kubeconfig" --image-repository "$IMAGE_REPOSITORY" --image-tag "$tag"
