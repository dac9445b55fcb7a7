import { connectEventBus } from '@bookshop/events';
import { runMain } from '@bookshop/runtime';
import { myPageConfig } from './config.js';
import { openMyPageDatabase } from './database.js';
import { consumerName } from './events.js';
import { InstanceRunning, resetReadModel } from './rebuild.js';

/** EX_TEMPFAIL: nothing was changed; try again once the instance is stopped. */
const INSTANCE_RUNNING_EXIT = 75;

// `pnpm -s mypage:rebuild` (with the instance stopped): the next start replays the stream.
await runMain(async () => {
  const config = myPageConfig();
  const db = await openMyPageDatabase(config.databaseUrl);
  const bus = await connectEventBus({ ...config.events, name: `${consumerName(config.instance)}-rebuild` });
  try {
    await resetReadModel(db, bus, config.instance);
    process.stdout.write(`my page "${config.instance}" emptied; its next start replays the stream ${config.events.stream}\n`);
  } catch (error) {
    if (!(error instanceof InstanceRunning)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = INSTANCE_RUNNING_EXIT;
  } finally {
    await bus.close();
    await db.$disconnect();
  }
});
