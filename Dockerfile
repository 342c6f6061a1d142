# syntax=docker/dockerfile:1
#
# The LatticeGuard image: one program, `latticeguard` (`operator`, and `agent` for workload pods), run by
# Node 24 straight from its TypeScript sources (type stripping; there is no compile step). `make image`
# builds it; the Helm chart in charts/latticeguard runs it.
#
# Node 24's official binaries bundle OpenSSL 3.5 statically (native ML-KEM, ML-DSA and the X25519MLKEM768
# TLS group), so the base image's own OpenSSL plays no part. The tag follows the `node` devDependency in
# package.json, the Node the tests run on. For reproducible builds pin the digest as well, for example
#   docker build --build-arg NODE_IMAGE=node:24.21.0-bookworm-slim@sha256:<digest> .
# (`docker buildx imagetools inspect node:24.21.0-bookworm-slim` prints the digest).
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# The runtime sources: what operator/bin/latticeguard.mjs imports, transitively, with package.json, the
# lock file and .npmrc (hack/image-files.ts, the same step as `make build`). Tests, fixtures, benchmarks
# and developer scripts stay out; an import of a file missing here fails the build, naming the importer.
FROM ${NODE_IMAGE} AS sources
WORKDIR /src
COPY . .
RUN node hack/image-files.ts --out /app

# Production dependencies only. The `node` devDependency (the Node 24 development uses) and the test tools
# are not installed, and no install script runs (no production dependency has one). .npmrc carries
# legacy-peer-deps, which the lock file was resolved with.
FROM ${NODE_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && test ! -e node_modules/node && test ! -e node_modules/typescript && test ! -e node_modules/vitest

FROM ${NODE_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="LatticeGuard" \
      org.opencontainers.image.description="Kubernetes operator and admission controller that makes MCP servers quantum-safe" \
      org.opencontainers.image.source="https://github.com/latticeguard/latticeguard" \
      org.opencontainers.image.url="https://github.com/latticeguard/latticeguard" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0"
# Nothing installs packages at run time: drop npm, npx, corepack and yarn, and what they bring.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only to the program. It writes no files (the agent writes only to the volume its
# --out-dir names), so a read-only root filesystem works; the chart mounts an emptyDir at /tmp regardless.
COPY --from=dependencies /app/node_modules ./node_modules
COPY --from=sources /app ./
# Numeric, so that the kubelet can check runAsNonRoot without a passwd entry.
USER 65532:65532
ENTRYPOINT ["node", "operator/bin/latticeguard.mjs"]
CMD ["operator"]
