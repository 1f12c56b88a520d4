#!/usr/bin/env bash
# Builds the pinned Helm that the chart's tests lint and render with (test/unit/helm/) into the
# git-ignored .stack/cache/bin/helm, only when it is missing or go.mod, go.sum or this script changed. Helm is not
# in Debian's packages, so it is built from the Go module proxy like bench/peers builds pgstream.
# `npm run stack:up` runs it; on its own: bash deploy/helm/tool/build.sh
set -euo pipefail

# shellcheck source=../../../scripts/stack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../../scripts/stack/lib.sh"

TOOL_DIR="$REPO_ROOT/deploy/helm/tool"
HELM_VERSION="$(sed -n 's#^\thelm.sh/helm/v3 \(v[0-9.]*\).*#\1#p' "$TOOL_DIR/go.mod")"
[[ -n "$HELM_VERSION" ]] || die "deploy/helm/tool/go.mod pins no helm.sh/helm/v3 version"
# The Kubernetes version helm lints and renders for by default: client-go v0.N is Kubernetes 1.N.
K8S_MINOR="$(sed -n 's#^\tk8s.io/client-go v0\.\([0-9]*\)\..*#\1#p' "$TOOL_DIR/go.mod")"
[[ -n "$K8S_MINOR" ]] || die "deploy/helm/tool/go.mod names no k8s.io/client-go version"
mkdir -p "$CACHE/bin"
MARK="$CACHE/bin/.helm-$(cat "$TOOL_DIR/go.mod" "$TOOL_DIR/go.sum" "$TOOL_DIR/build.sh" | sha256sum | cut -c1-16)"
if [[ ! -f "$MARK" || ! -x "$CACHE/bin/helm" ]]; then
  command -v go >/dev/null || die "go is missing: the chart's tests need helm, built with the Go toolchain named in deploy/helm/tool/go.mod"
  log "building helm $HELM_VERSION (go install, deploy/helm/tool/go.mod) into .stack/cache/bin"
  rm -f "$CACHE/bin"/.helm-*
  # go.mod pins helm as a tool (see bench/peers/fetch.sh: no version list is asked for). The
  # versions are stamped in as Helm's own Makefile does; without them `helm version` says v3.NN
  # and lint and template assume Kubernetes 1.20.
  ldflags="-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  for pkg in pkg/lint/rules pkg/chartutil; do
    ldflags+=" -X helm.sh/helm/v3/$pkg.k8sVersionMajor=1 -X helm.sh/helm/v3/$pkg.k8sVersionMinor=$K8S_MINOR"
  done
  (cd "$TOOL_DIR" && GOBIN="$CACHE/bin" GOFLAGS=-mod=readonly go install -ldflags "$ldflags" tool) >"$CACHE/bin/helm-go.log" 2>&1 \
    || die "go install of helm failed" "$CACHE/bin/helm-go.log"
  touch "$MARK"
fi
log "helm ready: .stack/cache/bin/helm ($("$CACHE/bin/helm" version --short))"
