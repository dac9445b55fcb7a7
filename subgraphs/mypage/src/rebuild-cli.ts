import { connectEventBus } from '@bookshop/events';
import { runMain } from '@bookshop/runtime';
import { myPageConfig } from './config.js';
import { openMyPageDatabase } from './database.js';
import { consumerName } from './events.js';
import { resetReadModel } from './rebuild.js';

// `pnpm -s mypage:rebuild` (with the instance stopped): the next start replays the stream.
await runMain(async () => {
  const config = myPageConfig();
  const consumer = consumerName(config.instance);
  const db = await openMyPageDatabase(config.databaseUrl);
  const bus = await connectEventBus({ ...config.events, name: `${consumer}-rebuild` });
  await resetReadModel(db, bus, consumer);
  await bus.close();
  await db.$disconnect();
  process.stdout.write(`my page "${config.instance}" emptied; its next start replays the stream ${config.events.stream}\n`);
});
