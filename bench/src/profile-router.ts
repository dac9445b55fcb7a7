// Development aid: profiles the router (node --cpu-prof) under the one- or two-subgraph query load.
//   node --import tsx --conditions=source src/profile-router.ts [oneSubgraph|twoSubgraphs] [service]
import { mkdirSync } from 'node:fs';
import { registerBook } from '@bookshop/e2e/orders';
import { startShop } from '@bookshop/e2e/shop';
import { prepareTemplates } from '@bookshop/testing';
import { closedLoop } from './load.js';
import { QUERIES } from './scenarios/router-efficiency.js';

const query = (process.argv[2] ?? 'oneSubgraph') as keyof typeof QUERIES;
const profiled = process.argv[3] ?? 'router';
const dir = '/tmp/bookshop-profiles';
mkdirSync(dir, { recursive: true });
process.env.E2E_MODE = 'dist';
await prepareTemplates();
const shop = await startShop({ env: { LOG_LEVEL: 'error' }, serviceEnv: { [profiled]: { NODE_FLAGS: `--cpu-prof --cpu-prof-dir=${dir}` } } });
for (let n = 0; n < 20; n++) await registerBook(shop, 1_000);
const body = JSON.stringify({ query: QUERIES[query] });
const result = await closedLoop({ url: shop.url, connections: 32, durationMs: Number(process.env.PROFILE_SECONDS ?? 10) * 1000, body: () => body });
console.log(result);
await shop.stop();
console.log(`profile in ${dir}`);
