import { runMain, stopOnSignals } from '@bookshop/runtime';
import { bookConfig } from './config.js';
import { startBookService } from './service.js';

await runMain(async () => {
  const service = await startBookService(bookConfig());
  stopOnSignals([service.stop]);
});
