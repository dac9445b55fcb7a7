import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';

export interface EventBusSettings {
  url: string;
  prefix: string;
  stream: string;
  /** How long a delivered, unacknowledged event waits before it is delivered again (a consumer died). */
  ackWaitMs?: number;
  /** Copies of the stream in a NATS cluster (3 on Kubernetes; 1 on a single server). */
  replicas?: number;
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

/** Creates the stream, or brings an existing one's subjects up to date. */
export async function ensureStream(jsm: JetStreamManager, name: string, prefix: string, replicas = 1): Promise<void> {
  const config = { name, subjects: [`${prefix}.>`], num_replicas: replicas, duplicate_window: 120_000_000_000 /* 2 min, ns */ };
  try {
    await jsm.streams.info(name);
    await jsm.streams.update(name, config);
  } catch (error) {
    if ((error as { name?: string }).name !== 'StreamNotFoundError' && !/stream not found/i.test(String(error))) throw error;
    await jsm.streams.add(config);
  }
}
