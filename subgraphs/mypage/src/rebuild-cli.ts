import { connectEventBus } from '@bookshop/events';
import { runMain } from '@bookshop/runtime';
import { consumerName } from './events.js';
import { InstanceRunning, resetReadModel } from './rebuild.js';
import { mypage } from './subgraph.js';

/** EX_TEMPFAIL: nothing was changed; try again once the instance is stopped. */
const INSTANCE_RUNNING_EXIT = 75;

// `pnpm -s mypage:rebuild` (with the instance stopped): the next start replays the stream.
await runMain(async () => {
  const config = mypage.readConfig();
  const instance = config.settings.MYPAGE_INSTANCE;
  const db = await mypage.openDatabase(config);
  const bus = await connectEventBus({ ...config.events, name: `${consumerName(instance)}-rebuild` });
  try {
    await resetReadModel(db, bus, instance);
    process.stdout.write(`my page "${instance}" emptied; its next start replays the stream ${config.events.stream}\n`);
  } catch (error) {
    if (!(error instanceof InstanceRunning)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = INSTANCE_RUNNING_EXIT;
  } finally {
    await bus.close();
    await db.$disconnect();
  }
});
