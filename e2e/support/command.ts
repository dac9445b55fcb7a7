import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEST_NATS_URL } from '@bookshop/testing';
import type { TestShop } from './shop.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Runs a documented `pnpm -s …` command against a test shop's stream, as a person would; resolves with its output. */
export function runShopCommand(shop: TestShop, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'pnpm',
      ['-s', ...args],
      {
        cwd: repoRoot,
        env: {
          ...process.env,
          NATS_URL: shop.nats?.url ?? TEST_NATS_URL,
          EVENT_PREFIX: shop.events.prefix,
          EVENT_STREAM: shop.events.stream,
          LOG_LEVEL: 'warn',
          ...env,
        },
      },
      (error, stdout, stderr) => (error ? reject(new Error(`${args.join(' ')} failed: ${stderr || error.message}`)) : resolve(stdout)),
    );
  });
}
