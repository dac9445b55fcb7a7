import { defineConfig } from 'vitest/config';

// `source` makes workspace packages resolve to their TypeScript sources, so tests need no build.
// The rest are Vite's defaults for server code.
const conditions = ['source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['{packages,subgraphs,router,tools,e2e,prisma}/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    globalSetup: ['packages/testing/src/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { NODE_ENV: 'test' },
  },
});
