import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTEXT_NAMES, type ContextName } from '@bookshop/contexts';
import type { NatsPasswords } from '@bookshop/events';
import { credentialEnv, type ShopCredentials } from '@bookshop/runtime';
import { natsServiceEnv } from './infrastructure.js';
import { spawnManaged, waitUntilReady, type ManagedProcess } from './child-process.js';
import { decideRestart, type RestartPolicy } from './restart-policy.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface ShopLayout {
  ports: Record<ContextName | 'router', number>;
  /** Each context's database URL (PostgreSQL or SQLite file). */
  databaseUrls: Record<ContextName, string>;
  natsUrl?: string;
  /** The users' secret and the calling services' keys: each service gets its share. */
  credentials: ShopCredentials;
  /** The contexts' NATS passwords, when the broker has users (each context logs in as its own). */
  natsPasswords?: NatsPasswords;
  /** Extra environment for every service (JWT_SECRET, NODE_ENV, LOG_LEVEL, …). */
  env?: NodeJS.ProcessEnv;
  /** Environment for one service, over everything else (a test's fault point, a proxied URL). */
  serviceEnv?: Partial<Record<ContextName | 'router', NodeJS.ProcessEnv>>;
  /** Node flags for one service (e.g. --cpu-prof, which NODE_OPTIONS may not carry). */
  nodeArgs?: Partial<Record<ContextName | 'router', string[]>>;
  /** `dist`: the compiled services (pnpm start); `source`: TypeScript through tsx (tests). */
  mode: 'dist' | 'source';
  onLine?: (service: string, line: string) => void;
  /** Aborting it while the shop starts stops what has started, and launchShop rejects. */
  signal?: AbortSignal;
  /**
   * Restart a service that exits on its own (pnpm start). Off by default: tests rely on a crash
   * staying a crash.
   */
  supervise?: Supervision;
}

export interface Supervision {
  /** Defaults to DEFAULT_RESTART_POLICY: 1 s, 2 s, 4 s … up to 30 s; 5 crashes within 60 s end it. */
  policy?: RestartPolicy;
  /** A service that was ready exited (`exit`: "code 1", "signal SIGKILL") and starts again in `delayMs`. */
  onRestarting: (service: ContextName | 'router', exit: string, delayMs: number) => void;
  /** A service crashes in a loop and is left down: the caller decides (pnpm start stops the shop). */
  onGiveUp: (service: ContextName | 'router', exit: string, reason: string) => void;
}

export interface RunningShop {
  routerUrl: string;
  urls: Record<ContextName | 'router', string>;
  processes: Record<ContextName | 'router', ManagedProcess>;
  /** Stops the router first (no new work), then the subgraphs, each gracefully. */
  stop: () => Promise<void>;
  /**
   * Starts one service again, as it was (with `env` on top, if given), and waits until it is
   * ready (after a stop or a crash).
   */
  restart: (service: ContextName | 'router', env?: NodeJS.ProcessEnv) => Promise<void>;
  /**
   * Starts one more instance of a service (scale-out), with the first instance's settings and
   * `env` on top, on `port`; resolves when it is ready. The caller stops it.
   */
  startInstance: (service: ContextName | 'router', port: number, env: NodeJS.ProcessEnv) => Promise<ManagedProcess>;
}

const graphqlUrl = (port: number) => `http://127.0.0.1:${port}/graphql`;

function entryOf(service: ContextName | 'router', mode: ShopLayout['mode']): { command: string; args: string[] } {
  const folder = service === 'router' ? 'router' : path.join('subgraphs', service);
  if (mode === 'dist') return { command: process.execPath, args: [path.join(repoRoot, folder, 'dist', 'main.js')] };
  return {
    command: process.execPath,
    args: ['--import', 'tsx', '--conditions=source', path.join(repoRoot, folder, 'src', 'main.ts')],
  };
}

/** Starts the five subgraphs, waits until each is ready, then the router in front of them. */
export async function launchShop(layout: ShopLayout): Promise<RunningShop> {
  const urls = Object.fromEntries(Object.entries(layout.ports).map(([name, port]) => [name, graphqlUrl(port)])) as RunningShop['urls'];
  const processes = {} as RunningShop['processes'];
  const environments = {} as Record<ContextName | 'router', NodeJS.ProcessEnv>;
  const spawnService = (service: ContextName | 'router', port: number, env: NodeJS.ProcessEnv) => {
    const { command, args } = entryOf(service, layout.mode);
    const managed = spawnManaged({
      name: service,
      command,
      args: [...(layout.nodeArgs?.[service] ?? []), ...args],
      cwd: repoRoot,
      env: { ...process.env, ...credentialEnv(layout.credentials, service), ...layout.env, ...env, SERVICE_NAME: service },
      ...(layout.onLine ? { onLine: (line: string) => layout.onLine!(service, line) } : {}),
    });
    return { managed, ready: waitUntilReady(`http://127.0.0.1:${port}/readyz`, managed) };
  };
  // Supervision: a process is watched once it has been ready, and only while the shop is not
  // stopping; one we stop ourselves (stop, restart) did not crash.
  const stoppedByUs = new WeakSet<ManagedProcess>();
  const crashTimes: Partial<Record<ContextName | 'router', number[]>> = {};
  const pendingRestarts = new Set<NodeJS.Timeout>();
  let closed = false;
  const stopProcess = async (managed: ManagedProcess | undefined) => {
    if (!managed) return;
    stoppedByUs.add(managed);
    await managed.stop();
  };
  const onCrash = (service: ContextName | 'router', managed: ManagedProcess, supervision: Supervision) => {
    if (closed || stoppedByUs.has(managed) || processes[service] !== managed) return;
    const now = Date.now();
    const times = [...(crashTimes[service] ?? []), now];
    crashTimes[service] = times;
    const exit = managed.child.signalCode ? `signal ${managed.child.signalCode}` : `code ${managed.child.exitCode}`;
    const decision = decideRestart(times, now, supervision.policy);
    if (!decision.restart) {
      supervision.onGiveUp(service, exit, decision.reason);
      return;
    }
    supervision.onRestarting(service, exit, decision.delayMs);
    const timer = setTimeout(() => {
      pendingRestarts.delete(timer);
      if (closed) return;
      // A restart that dies before it is ready is the next crash, counted by its own exit.
      start(service, environments[service]).catch(() => undefined);
    }, decision.delayMs);
    pendingRestarts.add(timer);
  };
  const start = (service: ContextName | 'router', env: NodeJS.ProcessEnv) => {
    environments[service] = env;
    const { managed, ready } = spawnService(service, layout.ports[service], environments[service]);
    processes[service] = managed;
    const supervision = layout.supervise;
    if (supervision) {
      void ready.then(
        () => managed.exited.then(() => onCrash(service, managed, supervision)),
        () => undefined,
      );
      // Died before it was ever ready: at launch that fails the start; on a restart it is a crash.
      if (crashTimes[service]) void ready.catch(() => managed.exited.then(() => onCrash(service, managed, supervision)));
    }
    return ready;
  };
  const stop = async () => {
    closed = true;
    for (const timer of pendingRestarts) clearTimeout(timer);
    pendingRestarts.clear();
    await stopProcess(processes.router);
    await Promise.all(CONTEXT_NAMES.map((name) => stopProcess(processes[name])));
  };

  // Ctrl-C while the shop starts must not leave the services already started running on their own.
  layout.signal?.throwIfAborted();
  const cancelled = new Promise<never>((_, reject) => {
    layout.signal?.addEventListener('abort', () => reject(new Error('start-up cancelled')), { once: true });
  });
  cancelled.catch(() => {});
  const unlessCancelled = <T>(work: Promise<T>) => Promise.race([work, cancelled]);

  try {
    await unlessCancelled(
      Promise.all(
        CONTEXT_NAMES.map((service) =>
          start(service, {
            PORT: String(layout.ports[service]),
            // Only the router faces clients: a subgraph is reached from this machine alone.
            HOST: '127.0.0.1',
            ...(layout.natsPasswords ? natsServiceEnv(service, layout.natsPasswords) : {}),
            [`${service.toUpperCase()}_DATABASE_URL`]: layout.databaseUrls[service],
            // order calls book (stock) and delivery (stopping a shipment) directly.
            SUBGRAPH_URL_BOOK: urls.book,
            SUBGRAPH_URL_DELIVERY: urls.delivery,
            ...(layout.natsUrl ? { NATS_URL: layout.natsUrl } : {}),
            ...layout.serviceEnv?.[service],
          }),
        ),
      ),
    );
    layout.signal?.throwIfAborted();
    await unlessCancelled(
      start('router', {
        ROUTER_PORT: String(layout.ports.router),
        ...Object.fromEntries(CONTEXT_NAMES.map((name) => [`SUBGRAPH_URL_${name.toUpperCase()}`, urls[name]])),
        ...layout.serviceEnv?.router,
      }),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const restart = async (service: ContextName | 'router', env: NodeJS.ProcessEnv = {}) => {
    await stopProcess(processes[service]);
    await start(service, { ...environments[service], ...env });
  };
  const startInstance = async (service: ContextName | 'router', port: number, env: NodeJS.ProcessEnv) => {
    const portVariable = service === 'router' ? 'ROUTER_PORT' : 'PORT';
    const { managed, ready } = spawnService(service, port, { ...environments[service], [portVariable]: String(port), ...env });
    try {
      await ready;
    } catch (error) {
      await managed.stop();
      throw error;
    }
    return managed;
  };
  return { routerUrl: urls.router, urls, processes, stop, restart, startInstance };
}
