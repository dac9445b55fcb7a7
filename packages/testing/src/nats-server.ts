import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createServer } from 'node:net';

/** The machine's NATS JetStream, for tests that do not stop the broker. */
export const TEST_NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

export interface TestNatsServer {
  url: string;
  /** Stops the broker (as a crash or an outage would); its JetStream store stays. */
  stop: () => Promise<void>;
  /** Starts it again on the same port and store. */
  start: () => Promise<void>;
  /** Stops it and removes its store. */
  dispose: () => Promise<void>;
}

export interface TestNatsServerOptions {
  /**
   * nats-server configuration text (e.g. an `authorization { … }` block from
   * @bookshop/events' natsAuthorizationConfig). Address, port and JetStream come from the flags.
   */
  config?: string;
}

/** A nats-server of the test's own, on a free port: a test may stop and start it. */
export async function startTestNatsServer(options: TestNatsServerOptions = {}): Promise<TestNatsServer> {
  const port = await freePort();
  const storeDir = mkdtempSync(path.join(os.tmpdir(), 'bookshop-nats-'));
  const configArgs: string[] = [];
  if (options.config !== undefined) {
    const configFile = path.join(storeDir, 'nats.conf');
    writeFileSync(configFile, options.config);
    configArgs.push('-c', configFile);
  }
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('nats-server', [...configArgs, '-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { stdio: 'ignore' });
    for (let waited = 0; !(await listening(port)); waited += 50) {
      if (waited > 10_000 || child.exitCode !== null) throw new Error('nats-server did not start');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const stop = async () => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    stop,
    start,
    dispose: async () => {
      await stop();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
