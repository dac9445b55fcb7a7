import { createServer } from 'node:net';
import { startPorts } from './start-ports.js';

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Whether something already listens on the port. */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(false)));
  });
}

/** A block of ports (base … base+22) with nothing listening on the ones `pnpm start` uses. */
export async function freePortBlock(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const { shop, postgres, nats } = startPorts(base);
    const used = [...Object.values(shop), postgres, nats];
    if (!(await Promise.all(used.map(portInUse))).some(Boolean)) return base;
  }
  throw new Error('no free block of ports');
}
