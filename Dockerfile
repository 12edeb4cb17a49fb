# Ward's services as container images: one Dockerfile, the service chosen with APP.
#
#   docker build --build-arg APP=fusion -t ward/fusion .
#
# APP is one of sentinel-ingest, behavioral-monitor, fusion, response-engine or
# policy-generator: each has its stage `ward-<APP>` below (so `--target
# ward-fusion` builds the same image). Without APP the build stops at the
# `ward-unset` stage with the list; any other value names a stage that does not
# exist and the build fails on `ward-<value>`.
#
# Every image also holds the one-shot jobs (the compose file's `init` service,
# the Helm chart's hooks):
#   docker run --rm -e DATABASE_URL=... ward/fusion node scripts/run-ts.mjs libs/persistence/src/cli/migrate.ts
#   docker run --rm -e KAFKA_BROKERS=... ward/fusion node scripts/run-ts.mjs libs/messaging/src/cli/create-topics.ts
#
# TypeScript runs the way it does in development, through scripts/run-ts.mjs and
# @swc-node/register (the repository has no build step); compiling at start
# takes well under a second. The containers run as uid 10001 and write nothing,
# so a read-only root filesystem works, with or without a tmpfs on /tmp.
# deploy/test/compose.spec.ts checks this file.

ARG APP
# Node 20.19 or later: @fastify/static require()s content-disposition, which is ESM only.
ARG NODE_IMAGE=node:20.20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# `npm install`, not `npm ci`: npm rejects, in ci mode, a lockfile without the
# optional @swc/core packages of other platforms (see scripts/lib.mjs). The
# locked versions are still what gets installed. No install scripts: @swc/core's
# only checks its binding, which the next step does.
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error
# @swc/core ships its native addon compressed, and unpacks it on first load into
# a writable cache on a filesystem that allows executables: a read-only container
# has none (Docker's tmpfs is noexec). Unpack it once here and put the unpacked
# addon in the package's place, as the loader itself does on btrfs; then check
# that loading it writes nothing.
RUN set -eu; \
    mkdir -m 0700 /tmp/swc-unpack /tmp/swc-check; \
    SWC_NATIVE_BINDING_CACHE=/tmp/swc-unpack node -e "require('@swc/core')"; \
    unpacked="$(find /tmp/swc-unpack -name '*.node')"; \
    if [ -n "$unpacked" ]; then \
      carrier="$(find node_modules/@swc -path '*/core-*' -name '*.node')"; \
      if [ "$(echo "$unpacked" | wc -l)" != 1 ] || [ "$(echo "$carrier" | wc -l)" != 1 ]; then \
        echo "expected one @swc/core addon, found: $carrier / $unpacked" >&2; exit 1; \
      fi; \
      cp "$unpacked" "$carrier"; \
    fi; \
    SWC_NATIVE_BINDING_CACHE=/tmp/swc-check XDG_CACHE_HOME=/tmp/swc-check node -e "require('@swc/core').transformSync('const a: number = 1', { jsc: { parser: { syntax: 'typescript' } } })"; \
    if [ -n "$(ls -A /tmp/swc-check)" ]; then echo "@swc/core still unpacks itself at load" >&2; exit 1; fi; \
    rm -rf /tmp/swc-unpack /tmp/swc-check

FROM ${NODE_IMAGE} AS base
# npm, npx, corepack and yarn are not needed to run Ward; fewer tools in the running image.
RUN groupadd --gid 10001 ward \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin ward \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /opt/yarn-* \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg
WORKDIR /app
# SWC_NODE_CACHE=0: @swc-node/register would otherwise keep its compiled output
# under /tmp, and fail to start where /tmp is read-only.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    SWC_NODE_CACHE=0
COPY --from=deps /app/node_modules node_modules
COPY package.json tsconfig.base.json ./
COPY scripts/run-ts.mjs scripts/run-ts.mjs
COPY libs libs
COPY deploy/playbooks deploy/playbooks
# Files stay owned by root: the service can read its code, not change it.
USER 10001:10001
# Services drain their Kafka batch on SIGTERM (up to 30 s) before exiting.
STOPSIGNAL SIGTERM

# Chosen when APP is empty. (Builders that build every stage, such as the legacy
# builder, pass here when APP is set.)
FROM base AS ward-unset
ARG APP
RUN if [ -z "${APP}" ]; then \
      echo "Dockerfile: choose the service with --build-arg APP=<service>, one of: sentinel-ingest behavioral-monitor fusion response-engine policy-generator" >&2; \
      exit 1; \
    fi

FROM base AS ward-sentinel-ingest
COPY apps/sentinel-ingest/src apps/sentinel-ingest/src
LABEL org.opencontainers.image.title="ward-sentinel-ingest"
EXPOSE 3001
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3001) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "scripts/run-ts.mjs", "apps/sentinel-ingest/src/main.ts"]

FROM base AS ward-behavioral-monitor
COPY apps/behavioral-monitor/src apps/behavioral-monitor/src
LABEL org.opencontainers.image.title="ward-behavioral-monitor"
EXPOSE 3002
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3002) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "scripts/run-ts.mjs", "apps/behavioral-monitor/src/main.ts"]

FROM base AS ward-fusion
COPY apps/fusion/src apps/fusion/src
LABEL org.opencontainers.image.title="ward-fusion"
EXPOSE 3003
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3003) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "scripts/run-ts.mjs", "apps/fusion/src/main.ts"]

FROM base AS ward-response-engine
COPY apps/response-engine/src apps/response-engine/src
LABEL org.opencontainers.image.title="ward-response-engine"
EXPOSE 3004
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3004) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "scripts/run-ts.mjs", "apps/response-engine/src/main.ts"]

FROM base AS ward-policy-generator
COPY apps/policy-generator/src apps/policy-generator/src
LABEL org.opencontainers.image.title="ward-policy-generator"
EXPOSE 3005
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3005) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "scripts/run-ts.mjs", "apps/policy-generator/src/main.ts"]

# The image: the stage of the service APP names.
FROM ward-${APP:-unset}
