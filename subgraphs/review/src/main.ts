import { runMain, stopOnSignals } from '@bookshop/runtime';
import { reviewConfig } from './config.js';
import { startReviewService } from './service.js';

await runMain(async () => {
  const service = await startReviewService(reviewConfig());
  stopOnSignals([service.stop]);
});
