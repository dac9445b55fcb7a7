import { runMain, stopOnSignals } from '@bookshop/runtime';
import { routerConfig } from './config.js';
import { startRouter } from './service.js';

await runMain(async () => {
  const router = await startRouter(routerConfig());
  stopOnSignals([router.stop]);
});
