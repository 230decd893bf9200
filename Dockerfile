# The Gantry server (and CLI) as a container image.
#
#   docker build -t gantry:0.1.0 .
#   docker run -d -p 7400:7400 -v "$PWD/gantry.yaml:/etc/gantry/gantry.yaml:ro" -v gantry-data:/var/lib/gantry gantry:0.1.0
#
# See docs/operations.md for what the image holds, what it does not (toolchains for your gates), and
# the Kubernetes manifests under deploy/kubernetes/. Both bases are build arguments so that a machine
# that cannot pull (the test in test/e2e/gantry-image.test.ts) can build from local stand-ins.
ARG BUILD_IMAGE=node:20-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim

# Build stage: the full node image has python3, make and g++, which better-sqlite3 needs when no
# prebuilt binary can be downloaded for the platform.
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=warn
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
# Server (tsc) and dashboard (vite) into dist/, then only what runs is kept.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund --loglevel=warn

FROM ${NODE_IMAGE}
# Gantry reads the repository with git; the slim image has none. (A base that has git skips apt.)
RUN if ! command -v git >/dev/null 2>&1; then \
      apt-get update && apt-get install -y --no-install-recommends git ca-certificates openssh-client \
      && rm -rf /var/lib/apt/lists/*; \
    fi
# GANTRY_DATA_DIR: the CLI in `docker exec` finds the server's address and token there too.
ENV NODE_ENV=production GANTRY_DATA_DIR=/var/lib/gantry
WORKDIR /opt/gantry
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# `gantry` on PATH for `docker exec … gantry …`; the data folder owned by the image's non-root user
# (uid 1000, `node` in the node images), so a fresh volume mounted there is writable.
RUN ln -s /opt/gantry/dist/cli/main.js /usr/local/bin/gantry \
    && chmod 0755 /opt/gantry/dist/cli/main.js \
    && mkdir -p /var/lib/gantry /etc/gantry \
    && chown 1000:1000 /var/lib/gantry && chmod 0700 /var/lib/gantry
USER 1000:1000
VOLUME /var/lib/gantry
EXPOSE 7400
# The server's own liveness route (src/server/routes/meta.ts); node's fetch, as the image has no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:7400/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/opt/gantry/dist/cli/main.js"]
CMD ["server", "--host", "0.0.0.0", "--data-dir", "/var/lib/gantry", "--config", "/etc/gantry/gantry.yaml"]
