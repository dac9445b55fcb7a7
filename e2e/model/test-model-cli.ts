import { spawn } from 'node:child_process';

/**
 * `pnpm test:model --runs N [--seed S] [--shrink-seconds T]`: the model-based test with more runs
 * than CI's and, unless given, a fresh seed (printed, so a failure can be replayed), on the
 * compiled services (the script builds first). Any other argument goes to vitest
 * (e.g. `-t redeliveries` for one run group).
 */

const OWN_OPTIONS = { '--runs': 'MODEL_RUNS', '--seed': 'MODEL_SEED', '--shrink-seconds': 'MODEL_SHRINK_SECONDS' } as const;

const settings: Record<string, string> = { MODEL_RUNS: '100', MODEL_SEED: String(Math.floor(Math.random() * 2 ** 31)) };
const vitestArgs: string[] = [];
const args = process.argv.slice(2).filter((arg) => arg !== '--');
for (let i = 0; i < args.length; i++) {
  const [name, inline] = args[i]!.split('=', 2) as [string, string | undefined];
  const variable = OWN_OPTIONS[name as keyof typeof OWN_OPTIONS];
  if (!variable) {
    vitestArgs.push(args[i]!);
    continue;
  }
  const value = inline ?? args[++i];
  if (!value || !/^\d+$/.test(value)) throw new Error(`${name} needs a whole number, got ${value ?? 'nothing'}`);
  settings[variable] = value;
}

console.log(`model-based test: ${settings.MODEL_RUNS} runs per group, seed ${settings.MODEL_SEED}`);
// pnpm puts the workspace's node_modules/.bin on PATH, so `vitest` is the repository's own.
const vitest = spawn('vitest', ['run', 'e2e/model', ...vitestArgs], {
  stdio: 'inherit',
  env: { ...process.env, ...settings, E2E_MODE: 'dist' },
});
vitest.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
