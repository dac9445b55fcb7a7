import { runMain, stopOnSignals } from '@bookshop/runtime';
import { orderConfig } from './config.js';
import { startOrderService } from './service.js';

await runMain(async () => {
  const service = await startOrderService(orderConfig());
  stopOnSignals([service.stop]);
});
