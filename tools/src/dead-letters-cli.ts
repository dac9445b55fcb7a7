import { connectEventBus } from '@bookshop/events';
import { readServiceEnv, runMain } from '@bookshop/runtime';
import { listDeadLetters, replayDeadLetters } from './dead-letters.js';

// `pnpm -s deadletters list [consumer]` · `pnpm -s deadletters replay <consumer>`
// (NATS_URL, EVENT_PREFIX and EVENT_STREAM as for the services; on a server with users, NATS_USER
// and NATS_PASSWORD of the admin user: reading every dead letter and replaying needs its rights.)
await runMain(async () => {
  const [command, consumer] = process.argv.slice(2);
  if (command !== 'list' && !(command === 'replay' && consumer)) {
    process.stderr.write('usage: pnpm -s deadletters list [consumer] | pnpm -s deadletters replay <consumer>\n');
    process.exit(2);
  }
  const { events } = readServiceEnv(0, {});
  const bus = await connectEventBus({ ...events, name: 'dead-letters' });
  try {
    if (command === 'list') {
      for (const message of await listDeadLetters(bus, consumer)) {
        process.stdout.write(`${message.seq}\t${message.consumer}\t${message.subject}\t${message.error}\n`);
      }
    } else {
      const { replayed, refused } = await replayDeadLetters(bus, consumer!);
      process.stdout.write(`replayed ${replayed} message(s) of ${consumer}\n`);
      for (const { seq, reason } of refused) process.stderr.write(`refused to replay ${seq}: ${reason}; it stays parked\n`);
      if (refused.length) process.exitCode = 1;
    }
  } finally {
    await bus.close();
  }
});
