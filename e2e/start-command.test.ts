import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  TEST_POSTGRES_URL,
  createPostgresTestDatabase,
  errorCodes,
  eventually,
  graphql,
  tokenFor,
  type TestDatabase,
} from '@bookshop/testing';
import { commandLineOf, freePortBlock, processesCarrying, startPorts } from '@bookshop/tools';
import { afterAll, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const dataDirs: string[] = [];
const databases: TestDatabase[] = [];
afterAll(async () => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  await Promise.all(databases.map((database) => database.drop()));
});

interface StartedCommand {
  shop: ChildProcess;
  routerPort: number;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  /** Every process of this run carries it in its environment. */
  marker: string;
  output: string[];
  exited: Promise<number | null>;
}

/** `pnpm start` as a newcomer types it, on databases and a data folder of its own. */
async function pnpmStart(): Promise<StartedCommand> {
  const routerPort = await freePortBlock();
  const marker = `BOOKSHOP_RUN_ID=${randomUUID()}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bookshop-start-'));
  dataDirs.push(dataDir);
  // PostgreSQL: the machine's server, named by the environment, with databases of this test's own
  // (the embedded PostgreSQL, used when none is named, cannot run as root from a private folder).
  const [book, order, delivery] = await Promise.all(
    (['book', 'order', 'delivery'] as const).map((context) => createPostgresTestDatabase(context)),
  );
  databases.push(book!, order!, delivery!);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ROUTER_PORT: String(routerPort),
    DATA_DIR: dataDir,
    POSTGRES_URL: TEST_POSTGRES_URL,
    BOOK_DATABASE_URL: book!.url,
    ORDER_DATABASE_URL: order!.url,
    DELIVERY_DATABASE_URL: delivery!.url,
    [marker.split('=')[0]!]: marker.split('=')[1],
  };
  delete env.NATS_URL; // NATS: a nats-server from the PATH, started by the shop
  delete env.NODE_ENV;
  const output: string[] = [];
  const shop = spawn('pnpm', ['start'], { cwd: repoRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  shop.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  shop.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => shop.once('exit', resolve));
  return { shop, routerPort, dataDir, env, marker, output, exited };
}

/** Whether a TCP connection to `host:port` is accepted. */
const reachable = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

/** What a terminal's Ctrl-C or `kill` of the job does; then waits until no process of the run is left. */
async function stopAndCount(started: StartedCommand): Promise<number[]> {
  if (started.shop.exitCode === null) {
    process.kill(-started.shop.pid!, 'SIGTERM');
    await started.exited;
  }
  for (let waited = 0; processesCarrying(started.marker).length > 0 && waited < 20_000; waited += 250) {
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return processesCarrying(started.marker);
}

it('`pnpm start` starts the whole shop, answers through the router, brings back a killed service, and on Ctrl-C exits 0 leaving no process behind', async () => {
  const started = await pnpmStart();
  try {
    const ready = `http://127.0.0.1:${started.routerPort}/readyz`;
    const deadline = Date.now() + 240_000;
    for (;;) {
      const answer = await fetch(ready).catch(() => undefined);
      if (answer?.ok) break;
      if (started.shop.exitCode !== null || Date.now() > deadline)
        throw new Error(`the shop did not become ready:\n${started.output.join('')}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const result = await graphql(`http://127.0.0.1:${started.routerPort}/graphql`, '{ books { id title stock } }');
    expect(result).toMatchObject({ status: 200, data: { books: [] } });
    expect(processesCarrying(started.marker).length).toBeGreaterThanOrEqual(8); // the supervisor, 6 services, NATS

    // The data folder's own secret, made on first start, readable by its owner only: `pnpm -s token`
    // signs with it; a token of any other secret (the tests' own, say) is refused.
    expect(statSync(path.join(started.dataDir, 'secrets.json')).mode & 0o077).toBe(0);
    const staff = execFileSync('pnpm', ['-s', 'token', 'staff', 'sam'], { cwd: repoRoot, env: started.env, encoding: 'utf8' }).trim();
    const register = `mutation { registerBook(input: { title: "${randomUUID()}", author: "A", publisher: "P", stock: 1 }) { id } }`;
    const url = `http://127.0.0.1:${started.routerPort}/graphql`;
    expect((await graphql(url, register, {}, { token: staff })).data?.registerBook.id).toBeTruthy();
    expect(errorCodes(await graphql(url, register, {}, { token: await tokenFor('staff', 'sam') }))).toEqual(['UNAUTHENTICATED']);

    // The subgraphs listen on loopback only: from the machine's other address, only the router answers.
    const { shop: ports } = startPorts(started.routerPort);
    const address = Object.values(os.networkInterfaces())
      .flat()
      .find((nic) => nic && nic.family === 'IPv4' && !nic.internal)?.address;
    expect(address, 'this machine has a non-loopback IPv4 address to try').toBeDefined();
    expect(await reachable(address!, ports.router)).toBe(true);
    for (const name of ['book', 'order', 'delivery', 'review', 'mypage'] as const) {
      expect({ name, reachable: await reachable(address!, ports[name]) }).toEqual({ name, reachable: false });
      expect({ name, reachable: await reachable('127.0.0.1', ports[name]) }).toEqual({ name, reachable: true });
    }

    // A service that dies comes back: `pnpm start` supervises, with backoff (1 s for a first crash).
    const bookPid = () =>
      processesCarrying(started.marker).find((pid) => commandLineOf(pid).includes(path.join('subgraphs', 'book', 'dist', 'main.js')));
    const killed = bookPid();
    expect(killed).toBeDefined();
    process.kill(killed!, 'SIGKILL');
    const said = '[bookshop] book exited (signal SIGKILL); restarting in 1 s';
    await eventually(
      async () => started.output.join('').includes(said),
      (seen) => seen,
      30_000,
    );
    await eventually(
      async () => (await fetch(`http://127.0.0.1:${ports.book}/readyz`).catch(() => undefined))?.status,
      (status) => status === 200,
      60_000,
    );
    expect(bookPid()).not.toBe(killed);
    expect((await graphql(url, '{ books { id } }')).data?.books).toHaveLength(1); // the book registered above, through the router

    // Ctrl-C in a terminal: SIGINT to the whole foreground group. A clean stop is a success for pnpm.
    process.kill(-started.shop.pid!, 'SIGINT');
    expect(await started.exited).toBe(0);
    expect(started.output.join('')).not.toContain('ELIFECYCLE');
  } finally {
    expect(await stopAndCount(started)).toEqual([]);
  }
}, 300_000);

it('SIGTERM while the shop is still starting stops the services already started too', async () => {
  const started = await pnpmStart();
  try {
    // Caught between the first service's start and the router's: some services run, none is the router.
    const services = () =>
      processesCarrying(started.marker)
        .map(commandLineOf)
        .filter((line) => line.includes('dist/main.js'));
    // `pnpm start` builds first: on a busy machine that alone can take minutes.
    await eventually(
      async () => services(),
      (lines) => lines.length > 0,
      240_000,
    );
    expect(services().some((line) => line.includes('router/'))).toBe(false);
  } finally {
    expect(await stopAndCount(started)).toEqual([]);
  }
}, 300_000);
