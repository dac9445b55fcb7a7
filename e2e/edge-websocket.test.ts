import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startShop, type TestShop } from './support/shop.js';

// The router's WebSocket side against an anonymous sender of huge messages: two 90 MiB
// connection_init messages once took it from 146 MB to a 766 MB peak.

let shop: TestShop;
beforeAll(async () => {
  shop = await startShop();
});
afterAll(() => shop?.stop());

const MiB = 1024 * 1024;

/** The router process's resident memory, as the kernel counts it. */
function routerRss(): number {
  const status = readFileSync(`/proc/${shop.processes.router.child.pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)![1]) * 1024;
}

/** Opens a socket without a token and sends `message` on it; resolves with its close code. */
function sendAnonymously(url: string, message: Buffer): Promise<number> {
  return new Promise((resolve) => {
    // A zero mask leaves the frame as it is: every socket sends the one buffer, none copies it.
    const socket = new WebSocket(url, 'graphql-transport-ws', { generateMask: (mask) => void mask.fill(0) });
    socket.on('error', () => {});
    socket.once('open', () => socket.send(message));
    socket.once('close', (code) => resolve(code));
  });
}

it('20 anonymous sockets sending 10 MiB each are closed without the router reading them: its RSS stays within 50 MB', async () => {
  const url = shop.url.replace('http', 'ws');
  const message = Buffer.from(JSON.stringify({ type: 'connection_init', payload: { junk: 'x'.repeat(10 * MiB) } }));
  const baseline = routerRss();
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, routerRss())), 10);
  let codes: number[];
  try {
    codes = await Promise.all(Array.from({ length: 20 }, () => sendAnonymously(url, message)));
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, routerRss());
  console.info(
    `router RSS: ${Math.round(baseline / MiB)} MiB before 20 x 10 MiB anonymous messages, peak ${Math.round(peak / MiB)} MiB (+${Math.round((peak - baseline) / MiB)} MiB); close codes ${JSON.stringify(codes)}`,
  );
  // 1009: over the message size limit. 4429: past the sockets one address may hold unauthenticated.
  expect(codes.filter((code) => code !== 1009 && code !== 4429)).toEqual([]);
  expect(codes).toContain(1009);
  expect(peak - baseline).toBeLessThan(50 * 1_000_000);
  // And the router still serves.
  expect((await fetch(`${shop.url.replace(/\/graphql$/, '')}/healthz`)).status).toBe(200);
});
