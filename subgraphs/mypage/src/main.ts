import { runMain, stopOnSignals } from '@bookshop/runtime';
import { myPageConfig } from './config.js';
import { startMyPageService } from './service.js';

await runMain(async () => {
  const service = await startMyPageService(myPageConfig());
  stopOnSignals([service.stop]);
});
