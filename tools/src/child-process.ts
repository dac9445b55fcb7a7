import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL if it has not ended within `graceMs`. */
  stop: (graceMs?: number) => Promise<void>;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Where each line the process prints goes; defaults to this process's stdout, prefixed. */
  onLine?: (line: string) => void;
}

/** Starts a long-running child whose output is forwarded line by line, and which we can stop. */
export function spawnManaged(options: SpawnOptions): ManagedProcess {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a Ctrl-C reaches only the supervisor, which stops children in order.
    detached: true,
  });
  const onLine = options.onLine ?? ((line: string) => process.stdout.write(`[${options.name}] ${line}\n`));
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', onLine);
  }
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  const stop = async (graceMs = 15_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return { name: options.name, child, exited, stop };
}

/** Polls a URL until it answers 200, the process dies, or time runs out. */
export async function waitUntilReady(url: string, process: ManagedProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let died = false;
  void process.exited.then(() => (died = true));
  while (Date.now() < deadline) {
    if (died) throw new Error(`${process.name} exited before it was ready (${url})`);
    try {
      // No keep-alive: an idle probe connection would hold up the service's drain later.
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000), headers: { connection: 'close' } });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${process.name} was not ready within ${timeoutMs} ms (${url})`);
}
