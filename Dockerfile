# One image for every service: the whole workspace, compiled. Compose picks the service with
# `command: node services/<name>/dist/main.js`.
#
# NODE_IMAGE: node:24-slim online; sdl/node:24 (Debian + the Node 24 binary) offline.
# PREBUILT=1: dependencies were installed and the workspace compiled on the host (`./lab build`),
# because builds on machines without a registry cannot reach the npm registry over HTTPS.
# PREBUILT=0 installs and compiles inside the build. Either way the runtime image holds production
# dependencies only (./lab stages the context with `pnpm install --prod`; PREBUILT=0 prunes after the build).
ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
ARG PREBUILT=0
COPY . .
RUN if [ "$PREBUILT" = "1" ]; then \
      test -f services/gateway/dist/main.js || { echo 'PREBUILT=1 but the workspace is not compiled: run ./lab build' >&2; exit 1; }; \
    else \
      rm -rf node_modules */*/node_modules tests/node_modules && \
      npm install -g pnpm@10.34.9 && pnpm install --frozen-lockfile && pnpm build && \
      CI=true pnpm install --prod --frozen-lockfile --offline --ignore-scripts --filter '{./services/*}...' --filter '!@sdl/testing'; \
    fi

FROM ${NODE_IMAGE}
WORKDIR /app
COPY --from=build --chown=node:node /app /app
# Mount point of the payments ledger volume: a fresh named volume copies this owner (node).
RUN install -d -o node -g node /var/lib/sdl/payments
USER node
CMD ["node", "services/gateway/dist/main.js"]
