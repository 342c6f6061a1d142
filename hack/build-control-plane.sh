#!/usr/bin/env bash
# Builds the pinned etcd, kube-apiserver and kube-controller-manager from the Go module proxy with the
# machine's Go toolchain and caches them by version outside the repository, so later runs reuse them.
# kube-controller-manager runs only its garbage-collector, namespace and service-account controllers, so
# owner references cascade and namespaces delete as in a real cluster.
#
#   hack/build-control-plane.sh          # builds what is missing, prints the directory holding both binaries
#
# Cache: ${LATTICEGUARD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/latticeguard}/control-plane/<version>/
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

die() { echo "build-control-plane: $*" >&2; exit 1; }
log() { echo "build-control-plane: $*" >&2; }

command -v go >/dev/null 2>&1 || die "Go is required to build etcd and kube-apiserver (install Go >= 1.26 from https://go.dev/dl and make sure 'go' is on PATH)"

cache_root="${LATTICEGUARD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/latticeguard}/control-plane"
platform="$(go env GOOS)-$(go env GOARCH)"
kube_dir="$cache_root/kubernetes-$KUBE_VERSION-$platform"
etcd_dir="$cache_root/etcd-$ETCD_VERSION-$platform"
bin_dir="$cache_root/bin-$KUBE_VERSION-$ETCD_VERSION-$platform"

work="$(mktemp -d "${TMPDIR:-/tmp}/latticeguard-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

export CGO_ENABLED=0 GOFLAGS=-mod=mod GOWORK=off

# Writes a wrapper module named $2 into directory $1 with the go.mod lines on stdin.
wrapper() { mkdir -p "$1"; (cd "$1" && go mod init "$2" >/dev/null 2>&1 && cat >>go.mod); }

build_etcd() {
  [[ -x "$etcd_dir/etcd" ]] && return 0
  log "building etcd $ETCD_VERSION (once; cached in $etcd_dir)"
  local mod="$work/etcd"
  wrapper "$mod" latticeguard.dev/hack/etcd <<EOF
require go.etcd.io/etcd/server/v3 $ETCD_VERSION
EOF
  cat >"$mod/main.go" <<'EOF'
// Command etcd is upstream etcd's main, built from the published server module.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
  (cd "$mod" && go build -trimpath -ldflags "-s -w" -o "$work/etcd.bin" .) || die "etcd $ETCD_VERSION failed to build (see the Go output above)"
  mkdir -p "$etcd_dir" && mv "$work/etcd.bin" "$etcd_dir/etcd"
}

build_kubernetes() {
  [[ -x "$kube_dir/kube-apiserver" && -x "$kube_dir/kube-controller-manager" ]] && return 0
  log "building kube-apiserver and kube-controller-manager $KUBE_VERSION (once, several minutes; cached in $kube_dir)"
  local upstream_mod staging_version="v0.${KUBE_VERSION#v1.}" minor
  upstream_mod="$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  [[ -f "$upstream_mod" ]] || die "could not download k8s.io/kubernetes@$KUBE_VERSION from the Go module proxy"
  # Every staging module upstream replaces with ./staging/src/... is published on its own as v0.<minor>.<patch>.
  local replaces
  replaces="$(sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9.-]*\) => \./staging/src/.*#replace \1 => \1 '"$staging_version"'#p' "$upstream_mod")"
  [[ -n "$replaces" ]] || die "found no staging modules in the go.mod of k8s.io/kubernetes@$KUBE_VERSION"
  local mod="$work/kube"
  wrapper "$mod" latticeguard.dev/hack/kube <<EOF
require k8s.io/kubernetes $KUBE_VERSION
$replaces
EOF
  minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
  local ldflags="-s -w" pkg key val
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    for key in gitVersion=$KUBE_VERSION gitMajor=1 gitMinor=$minor gitTreeState=clean \
      buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ); do
      ldflags+=" -X $pkg.${key%%=*}=${key#*=}"
    done
  done
  mkdir -p "$work/out"
  (cd "$mod" && go build -trimpath -ldflags "$ldflags" -o "$work/out/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager) \
    || die "Kubernetes $KUBE_VERSION failed to build (see the Go output above)"
  mkdir -p "$(dirname "$kube_dir")" && rm -rf "$kube_dir" && mv "$work/out" "$kube_dir"
}

build_etcd
build_kubernetes
mkdir -p "$bin_dir"
ln -sfn "$etcd_dir/etcd" "$bin_dir/etcd"
ln -sfn "$kube_dir/kube-apiserver" "$bin_dir/kube-apiserver"
ln -sfn "$kube_dir/kube-controller-manager" "$bin_dir/kube-controller-manager"
echo "$bin_dir"
