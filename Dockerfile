# syntax=docker/dockerfile:1
#
# One pattern for every image of the shop. PACKAGE names the workspace package to ship:
#   docker build --build-arg PACKAGE=book   -t <registry>/bookshop-book:<commit>   .
#   (book, order, delivery, review, mypage, router — each runs `node dist/main.js`)
#   docker build --build-arg PACKAGE=prisma -t <registry>/bookshop-migrate:<commit> .
#   (migrations: `node dist/migrate-cli.js <context>` applies the committed Prisma migrations)
# No HEALTHCHECK: Kubernetes probes /healthz and /readyz itself.

# Node 24 LTS, the version in .node-version (CI tests that one); package.json still allows 20.19+.
# Held at 24.18: from 24.19 on, better-sqlite3 < 13 aborts the process when GC drops a statement
# (prisma/src/sqlite-statement-gc.test.ts); move on once better-sqlite3 is at 13 or later.
ARG NODE_IMAGE=node:24.18-bookworm-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 compiles from source when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
RUN npm install -g pnpm@10.34.9
WORKDIR /repo
# Dependencies first, from the lockfile alone: this layer survives source changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml .pnpmfile.cjs ./
RUN pnpm fetch
COPY . .
RUN pnpm install --frozen-lockfile --offline
ARG PACKAGE
# Builds the package and the workspace packages it depends on (the Prisma clients are generated
# into each subgraph's dist by its build), then copies it with its production dependencies only.
RUN pnpm exec turbo run build --filter=@bookshop/${PACKAGE}... \
 && pnpm --filter @bookshop/${PACKAGE} deploy --prod --legacy /out

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and not writable by the process; data lives on mounted volumes.
COPY --from=build /out ./
USER 1000:1000
EXPOSE 4000
CMD ["node", "dist/main.js"]
