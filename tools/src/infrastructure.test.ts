import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StockReleased, connectEventBus, eventOf, generateNatsPasswords, publishEnvelope, subjectOf } from '@bookshop/events';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './free-port.js';
import { NATS_ADMIN_USER, natsServiceEnv, provideNats, type Nats } from './infrastructure.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bookshop-start-nats-'));
let nats: Nats | undefined;
afterAll(async () => {
  await nats?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the local nats-server of `pnpm start`, given passwords', () => {
  it('writes its users into dataDir/nats/nats.conf and starts with them: each context with its own rights, the admin with all', async () => {
    const passwords = generateNatsPasswords();
    const env = { EVENT_PREFIX: 'startshop', EVENT_STREAM: 'STARTSHOP' };
    nats = await provideNats(env, dataDir, await freePort(), passwords);
    expect(nats.withUsers).toBe(true);

    const configFile = path.join(dataDir, 'nats', 'nats.conf');
    expect(existsSync(configFile)).toBe(true);
    expect(readFileSync(configFile, 'utf8')).toContain('"startshop.book.>"');

    const settings = { url: nats.url, prefix: env.EVENT_PREFIX, stream: env.EVENT_STREAM };
    const { NATS_USER, NATS_PASSWORD } = natsServiceEnv('book', passwords);
    const book = await connectEventBus({ ...settings, name: 'book', user: NATS_USER, password: NATS_PASSWORD });
    const released = eventOf(StockReleased, { orderId: 'o-1', bookId: 'b-1', quantity: 1, stock: 2 }, { correlationId: 'c' });
    await expect(publishEnvelope(book, subjectOf(env.EVENT_PREFIX, StockReleased), released)).resolves.toEqual({ duplicate: false });
    await expect(book.js.publish(`${env.EVENT_PREFIX}.order.OrderCancelled`, '{}')).rejects.toThrow(/Permissions Violation/);
    await book.close();

    const admin = await connectEventBus({ ...settings, name: 'admin', user: NATS_ADMIN_USER, password: passwords.admin });
    expect((await admin.jsm.streams.info(env.EVENT_STREAM)).state.messages).toBe(1);
    await admin.close();
  });
});
