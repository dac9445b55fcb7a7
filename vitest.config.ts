import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

// `source` makes workspace packages resolve to their TypeScript sources, so tests need no build.
// The rest are Vite's server defaults, less 'module' (it picks broken ESM builds of some packages).
const conditions = ['source', 'node', 'development|production'];

export default defineConfig({
  resolve: {
    conditions,
    // One graphql for everything: Vite would pick its ESM build for our sources while Node gives
    // Apollo and graphql-ws the CommonJS one, and graphql refuses objects from "another realm".
    alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') }],
  },
  ssr: { resolve: { conditions } },
  test: {
    include: ['{packages,subgraphs,router,tools,e2e,prisma,k8s}/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    globalSetup: ['packages/testing/src/global-setup.ts'],
    // Each e2e file runs a whole shop of processes; on two cores, one file at a time keeps timings honest.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { NODE_ENV: 'test' },
  },
});
