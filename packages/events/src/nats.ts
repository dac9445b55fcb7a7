import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { logger } from '@bookshop/runtime';
import { inboxPrefixOf } from './permissions.js';

export interface EventBusSettings {
  url: string;
  prefix: string;
  stream: string;
  /** How long a delivered, unacknowledged event waits before it is delivered again (a consumer died). */
  ackWaitMs?: number;
  /** Events a consumer applies in one transaction at most. */
  batchSize?: number;
  /** Copies of the stream in a NATS cluster (3 on Kubernetes; 1 on a single server). */
  replicas?: number;
  /** The context's NATS user (permissions.ts says what it may publish and read); none on an open server. */
  user?: string;
  password?: string;
}

export interface EventBus {
  connection: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Subject prefix and stream name: configuration, so test runs never share them. */
  prefix: string;
  stream: string;
  /** False between a lost connection and the reconnect (the client keeps trying meanwhile). */
  isConnected: () => boolean;
  close: () => Promise<void>;
}

/**
 * Connects to NATS and makes sure the shop's one stream exists with its subjects. The client
 * keeps reconnecting for ever: a broker that is away is waited for, never a reason to crash.
 */
export async function connectEventBus(options: EventBusSettings & { name: string }): Promise<EventBus> {
  const connection = await connect({
    servers: options.url,
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: true,
    ...credentials(options),
    // `tls://host:port`: TLS is required, never silently skipped (the server's certificate is
    // checked against Node's CAs plus NODE_EXTRA_CA_CERTS).
    ...(/^tls:\/\//i.test(options.url) ? { tls: {} } : {}),
  });
  const jsm = await jetstreamManager(connection);
  await ensureStream(jsm, options.stream, options.prefix, options.replicas);
  let connected = true;
  void (async () => {
    for await (const status of connection.status()) {
      if (status.type === 'disconnect') connected = false;
      if (status.type === 'reconnect') connected = true;
    }
  })();
  return {
    isConnected: () => connected && !connection.isClosed(),
    connection,
    js: jetstream(connection),
    jsm,
    prefix: options.prefix,
    stream: options.stream,
    close: () => connection.drain(),
  };
}

/** A user's password, and its own inbox prefix: its permissions let it read replies there only. */
function credentials(options: EventBusSettings): { user?: string; pass?: string; inboxPrefix?: string } {
  if (!options.user) return {};
  return { user: options.user, pass: options.password ?? '', inboxPrefix: inboxPrefixOf(options.user) };
}

const isPermissionViolation = (error: unknown) =>
  /permissions? violation/i.test(`${String(error)} ${String((error as { cause?: unknown }).cause ?? '')}`);

/**
 * Creates the stream, or brings an existing one's settings up to date. A context's NATS user may
 * create the stream but not change it (permissions.ts): an existing stream whose settings differ
 * is left as it is, with a warning, for an operator to update with the admin user.
 */
export async function ensureStream(jsm: JetStreamManager, name: string, prefix: string, replicas = 1): Promise<void> {
  const config = { name, subjects: [`${prefix}.>`], num_replicas: replicas, duplicate_window: 120_000_000_000 /* 2 min, ns */ };
  let existing: StreamConfig;
  try {
    existing = (await jsm.streams.info(name)).config;
  } catch (error) {
    if ((error as { name?: string }).name !== 'StreamNotFoundError' && !/stream not found/i.test(String(error))) throw error;
    await jsm.streams.add(config);
    return;
  }
  const upToDate =
    existing.subjects?.length === 1 &&
    existing.subjects[0] === config.subjects[0] &&
    existing.num_replicas === config.num_replicas &&
    existing.duplicate_window === config.duplicate_window;
  if (upToDate) return;
  try {
    await jsm.streams.update(name, config);
  } catch (error) {
    if (!isPermissionViolation(error)) throw error;
    const { subjects, num_replicas, duplicate_window } = existing;
    logger.warn(
      { stream: name, wanted: config, existing: { subjects, num_replicas, duplicate_window } },
      "the stream's settings differ from this service's, and its NATS user may not change them: update the stream with the admin user",
    );
  }
}
