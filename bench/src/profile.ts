// Development aid: CPU profiles (node --cpu-prof) of services under one of the bench's loads.
//   node --import tsx --conditions=source src/profile.ts <oneSubgraph|twoSubgraphs|orders> [service,service…]
// The profiles land in /tmp/bookshop-profiles; `src/profile-top.ts <file>` lists where the time went.
import { mkdirSync } from 'node:fs';
import { registerBook } from '@bookshop/e2e/orders';
import { startShop } from '@bookshop/e2e/shop';
import { prepareTemplates } from '@bookshop/testing';
import { closedLoop } from './load.js';
import { orderLoad } from './scenarios/orders.js';
import { QUERIES } from './scenarios/router-efficiency.js';

const load = (process.argv[2] ?? 'oneSubgraph') as keyof typeof QUERIES | 'orders';
const profiled = (process.argv[3] ?? 'router').split(',');
const dir = '/tmp/bookshop-profiles';
mkdirSync(dir, { recursive: true });
process.env.E2E_MODE = 'dist';
await prepareTemplates();
const shop = await startShop({
  env: { LOG_LEVEL: 'error' },
  serviceEnv: { order: { ORDER_MAX_OPEN_PER_CUSTOMER: '1000000' } }, // a profile places thousands of orders per customer
  nodeArgs: Object.fromEntries(
    profiled.map((service) => [service, ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${service}-${Date.now()}.cpuprofile`]]),
  ),
});
const durationMs = Number(process.env.PROFILE_SECONDS ?? 10) * 1000;
let result;
if (load === 'orders') {
  result = await (await orderLoad(shop))(durationMs);
} else {
  for (let n = 0; n < 20; n++) await registerBook(shop, 1_000);
  const body = JSON.stringify({ query: QUERIES[load] });
  result = await closedLoop({ url: shop.url, connections: 32, durationMs, body });
}
console.log(result);
await shop.stop();
console.log(`profiles in ${dir}`);
