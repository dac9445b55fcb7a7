import { runMain, stopOnSignals } from '@bookshop/runtime';
import { deliveryConfig } from './config.js';
import { startDeliveryService } from './service.js';

await runMain(async () => {
  const service = await startDeliveryService(deliveryConfig());
  stopOnSignals([service.stop]);
});
