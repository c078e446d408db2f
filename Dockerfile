# syntax=docker/dockerfile:1
# cx-gainshare: one image for every `cxg` command (workers, topics init, simulator, replay, ...).
# The workspaces ship TypeScript that tsx compiles on load, so there is no build step:
# `npm ci`, then `npx cxg ...`. Debian bookworm (glibc, x64) for chdb's native library.
#
#   docker build -t cx-gainshare .
#   docker run --rm cx-gainshare                          # npx cxg --help
#   docker run --rm -e KAFKA_BROKERS=... cx-gainshare npx cxg run detector

# Every package.json and the lockfile, alone, so the `npm ci` layer below is reused as long as
# the dependencies are unchanged (and a new workspace needs no edit here).
FROM node:20-bookworm-slim AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
 && find . -name node_modules -prune -o \( -name package.json -o -name package-lock.json \) -print0 \
    | tar --null -cf - -T - | tar -xf - -C /manifests

FROM node:20-bookworm-slim
WORKDIR /app
ENV npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false

COPY --from=manifests /manifests/ ./
# dev dependencies are not needed at runtime (tsx is a dependency of @cxg/cli); they are
# harmless and keep the lockfile the single truth for every install
RUN npm ci && npm cache clean --force

COPY . .
# `npm ci` saw the workspaces' package.json files only and skipped bins whose files were missing
# (node_modules/.bin/cxg among them): link them now that the sources are here
RUN npm rebuild --ignore-scripts && test -x node_modules/.bin/cxg
# state folder of the CLI (logs, embedded ClickHouse with CLICKHOUSE_URL=chdb://...) for the
# unprivileged user; everything else stays read-only to it
RUN mkdir -p .cxg && chown node:node .cxg
USER node

CMD ["npx", "cxg", "--help"]
