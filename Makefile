# LatticeGuard's single entry point. `make help` lists the targets.
#
# Every target runs on the Node 24 that `npm ci` installs into node_modules/.bin (the `node` devDependency),
# whatever Node the machine has; an older Node fails with a clear message.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
STAMP := node_modules/.latticeguard-deps
# The version in package.json: the default image tag and the image's version label.
VERSION := $(shell sed -n 's/^  "version": "\(.*\)",$$/\1/p' package.json)
IMAGE_REPOSITORY ?= ghcr.io/latticeguard/latticeguard
IMAGE ?= $(IMAGE_REPOSITORY):$(VERSION)

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "; print "Usage: make <target>\n"} /^[a-z0-9-]+:.*## / {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is required to install LatticeGuard's dependencies (any Node.js >= 20 with npm)"; exit 1; }
	npm ci --no-audit --no-fund
	@touch $@

.PHONY: deps
deps: $(STAMP) ## Install the npm dependencies, including the pinned Node 24.
	@node operator/bin/require-node.mjs

.PHONY: control-plane
control-plane: deps ## Build (once) and cache etcd, kube-apiserver and kube-controller-manager; needs Go.
	@bash hack/build-control-plane.sh >/dev/null

# Where `make dev` writes the kubeconfig for other terminals, and its pid file.
DEV_DIR ?= .dev

.PHONY: dev
dev: $(DEV_DIR)/dev.pid ## Run a local control plane with the CRDs and samples installed, until stopped.

.PHONY: dev-once
dev-once: DEV_FLAGS := --once
dev-once: $(DEV_DIR)/dev.pid ## Like dev, but stop after showing the samples.

# `make dev` must stop on SIGINT or SIGTERM sent to make alone, not only on Ctrl-C (which signals the
# whole process group). make passes SIGTERM on to the recipe, which `exec` makes node itself; SIGINT and
# SIGHUP it does not pass on, and then waits for the recipe. But make deletes the target file of a recipe
# it interrupts, so hack/dev.ts runs as the recipe of its pid file and stops when the file is gone
# (hack/dev-stop.ts). `deps` is phony, so the recipe runs every time.
$(DEV_DIR)/dev.pid: deps
	exec node hack/dev.ts $(DEV_FLAGS) --dir=$(DEV_DIR) --pid-file=$@

.PHONY: generate
generate: deps ## Regenerate the CRDs and TypeScript types from operator/api/*.schema.ts.
	node hack/generate.ts

.PHONY: verify
verify: deps ## Fail if generated files are stale; type-check everything.
	node hack/generate.ts --verify
	tsc -p tsconfig.json

# No compile step: Node 24 runs the TypeScript sources (type stripping). Building means checking the types
# and collecting what the program imports, as the image's first stage does (hack/image-files.ts).
.PHONY: build
build: deps ## Type-check, then copy the runtime files (what the program imports, no tests) to dist/app.
	tsc -p tsconfig.json
	node hack/image-files.ts --out dist/app

.PHONY: image
image: ## Build the container image (IMAGE, default ghcr.io/latticeguard/latticeguard:<version>); needs Docker.
	@command -v docker >/dev/null && docker info >/dev/null 2>&1 || { echo "make image needs a running Docker engine; none is reachable ('docker info' failed)" >&2; exit 2; }
	docker build --build-arg VERSION=$(VERSION) --build-arg REVISION=$$(git rev-parse HEAD 2>/dev/null || echo unknown) --tag $(IMAGE) .

.PHONY: kind-e2e
kind-e2e: ## Build the image, install the chart in a kind cluster, check it end to end; needs Docker.
	@bash hack/kind-e2e.sh

.PHONY: lint
lint: deps ## Run eslint and prettier.
	eslint .
	prettier --check .

.PHONY: format
format: deps ## Format the code with prettier.
	prettier --write .

.PHONY: test
test: test-unit test-integration ## Run all tests (unit, then integration against a real API server).

.PHONY: test-unit
test-unit: deps ## Run the unit tests (no cluster).
	vitest run --project unit

.PHONY: prometheus
prometheus: ## Install Prometheus and promtool (Debian's package) if missing; the integration tests use them.
	@bash hack/install-prometheus.sh

.PHONY: test-integration
test-integration: deps control-plane prometheus ## Run the integration tests against a local kube-apiserver and etcd.
	vitest run --project integration

.PHONY: clean
clean: ## Remove build output and installed dependencies (the control-plane cache stays).
	rm -rf node_modules dist .dev

.PHONY: bench
bench: deps control-plane ## Run the benchmarks (crypto, reconcile, admission, issuance, proxy, probe); see BENCHMARKS.md.
	node bench/crypto.ts
	node bench/reconcile.ts
	node bench/admission.ts
	node bench/issuance.ts
	node bench/proxy.ts
	node bench/probe.ts
