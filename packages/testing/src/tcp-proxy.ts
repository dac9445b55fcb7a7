import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Backend {
  host?: string;
  port: number;
}

export interface TcpProxy {
  port: number;
  /** http://127.0.0.1:<port>/graphql */
  url: string;
  /** Client connections accepted so far (each one is an attempt to reach a backend). */
  readonly connections: number;
  setBackends(backends: Backend[]): void;
  /** Ports of the backends that get new connections now. */
  routedPorts(): number[];
  /** Holds every byte a client sends for this long before passing it on: a backend that answers slowly. */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

export interface TcpProxyOptions {
  backends?: Backend[];
  /**
   * Sends new connections only to backends whose GET <path> answered 200 at the last poll, the way
   * a Kubernetes Service routes only to ready pods. Without it, every backend is used.
   */
  readinessPath?: string;
  pollMs?: number;
}

async function isReady(backend: Backend, path: string): Promise<boolean> {
  try {
    const response = await fetch(`http://${backend.host ?? '127.0.0.1'}:${backend.port}${path}`, {
      signal: AbortSignal.timeout(1_000),
      headers: { connection: 'close' },
    });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * A TCP proxy for tests that break the network between two services for real: it can have no
 * backend (every connection is cut), a slow backend (bytes held back), or several backends of
 * which only the ready ones get new connections (a Service in front of pods). A connection stays
 * with the backend it was given, as with kube-proxy.
 */
export async function startTcpProxy(options: TcpProxyOptions = {}): Promise<TcpProxy> {
  let backends = options.backends ?? [];
  // By address, not by object: a backend list given again (with new objects) keeps what is known.
  const addressOf = (backend: Backend) => `${backend.host ?? '127.0.0.1'}:${backend.port}`;
  let ready = new Set<string>(options.readinessPath ? [] : backends.map(addressOf));
  const routed = () => backends.filter((backend) => ready.has(addressOf(backend)));
  let delayMs = 0;
  let connections = 0;
  let next = 0;
  const sockets = new Set<Socket>();

  // One poll at a time: overlapping polls on a busy machine could finish out of order, and an old
  // "ready" would then route new connections to a backend that has already said it is leaving.
  let polling: Promise<void> | undefined;
  let closed = false;
  const poll = (): Promise<void> => {
    if (!options.readinessPath) return Promise.resolve();
    const path = options.readinessPath;
    polling ??= (async () => {
      const answers = await Promise.all(backends.map(async (backend) => [backend, await isReady(backend, path)] as const));
      ready = new Set(answers.filter(([, ok]) => ok).map(([backend]) => addressOf(backend)));
    })().finally(() => {
      polling = undefined;
    });
    return polling;
  };
  let poller: NodeJS.Timeout | undefined;
  const pollForever = async () => {
    await poll();
    if (!closed) poller = setTimeout(() => void pollForever(), options.pollMs ?? 100);
  };
  if (options.readinessPath) await pollForever();

  const server: Server = createServer((client) => {
    connections += 1;
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    const candidates = routed();
    const backend = candidates[next++ % Math.max(1, candidates.length)];
    // A reset, as a refused connection would be. (A plain close before any byte leaves Node's
    // fetch waiting forever.)
    if (!backend) return void client.resetAndDestroy();
    const upstream = connect(backend.port, backend.host ?? '127.0.0.1');
    sockets.add(upstream);
    upstream.once('end', () => client.end()); // after what the backend sent has been passed on
    upstream.once('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.resetAndDestroy());
    upstream.on('data', (chunk) => client.writable && client.write(chunk));
    // Bytes are passed on in order, each after the delay in force when it arrived. A client that
    // gives up does not take its request back: the slow backend still gets and handles it.
    let lastDue = 0;
    const later = (work: () => void) => {
      lastDue = Math.max(lastDue, Date.now() + delayMs);
      const wait = lastDue - Date.now();
      if (wait <= 0) work();
      else setTimeout(work, wait);
    };
    client.on('data', (chunk) => later(() => upstream.writable && upstream.write(chunk)));
    client.on('error', () => {});
    client.once('close', () => later(() => upstream.end()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  return {
    port,
    url: `http://127.0.0.1:${port}/graphql`,
    get connections() {
      return connections;
    },
    setBackends(list) {
      backends = list;
      if (!options.readinessPath) ready = new Set(list.map(addressOf));
      else void poll();
    },
    routedPorts() {
      return routed().map((backend) => backend.port);
    },
    setDelay(ms) {
      delayMs = ms;
    },
    async close() {
      closed = true;
      clearTimeout(poller);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
