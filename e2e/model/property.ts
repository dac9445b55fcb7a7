import fc from 'fast-check';
import type { TestShop } from '../support/shop.js';
import { playScenario } from './commands.js';
import { checkInvariants, type Violation } from './invariants.js';
import { RunModel } from './model.js';
import { scenarios } from './scenario.js';
import { waitUntilSettled } from './settle.js';
import { readShopState } from './shop-state.js';
import { ShopDriver } from './shop-driver.js';

/**
 * The model-based property: for every generated scenario, on one running shop, with the run's
 * own customers and books — play it, let the events settle, read every context's database, check
 * the invariants.
 */

export interface ModelSettings {
  seed: number;
  runs: number;
  /** Shrinking a failure re-runs scenarios against the real shop; past this budget it stops. */
  shrinkSeconds: number;
}

/**
 * `MODEL_SEED`, `MODEL_RUNS`, `MODEL_SHRINK_SECONDS` override the CI defaults (a fixed seed, few
 * runs); `MODEL_PRINT_RUNS=1` prints every passing run's commands and answers too.
 */
export function modelSettings(env: NodeJS.ProcessEnv = process.env): ModelSettings {
  const number = (name: string, fallback: number) => {
    const value = env[name] === undefined || env[name] === '' ? fallback : Number(env[name]);
    if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number, got ${env[name]}`);
    return value;
  };
  return { seed: number('MODEL_SEED', 20_261_130), runs: number('MODEL_RUNS', 4), shrinkSeconds: number('MODEL_SHRINK_SECONDS', 30) };
}

/** Events are slowed by retries and restarts; a shop that is not quiet after this is itself a finding. */
const SETTLE_TIMEOUT_MS = 60_000;

export async function assertModelHolds(shop: TestShop, group: { name: string; restarts: boolean }, settings: ModelSettings): Promise<void> {
  const driver = new ShopDriver(shop.url);
  let firstFailureAt: number | null = null;
  const property = fc.asyncProperty(scenarios({ restarts: group.restarts }), async (scenario) => {
    // fast-check's own time limits count from the start of the whole check, not from the first
    // failure; so past the shrink budget every further candidate is skipped, which ends shrinking
    // with the smallest failure found so far (its seed and path resume it).
    fc.pre(firstFailureAt === null || Date.now() - firstFailureAt < settings.shrinkSeconds * 1_000);
    const model = new RunModel();
    try {
      await playScenario(scenario, { driver, model, restart: (service) => shop.restart(service) });
      await waitUntilSettled(shop, model.customers, SETTLE_TIMEOUT_MS);
      const violations = checkInvariants(model, await readShopState(shop, model));
      if (violations.length) throw new Error(describeViolations(violations));
      if (process.env.MODEL_PRINT_RUNS) console.log(`[model] passed: ${describeRun(model)}`);
    } catch (error) {
      firstFailureAt ??= Date.now();
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n\n${describeRun(model)}`);
    }
  });
  console.log(`[model] ${group.name}: seed ${settings.seed}, ${settings.runs} runs (MODEL_SEED, MODEL_RUNS override)`);
  await fc.assert(property, { seed: settings.seed, numRuns: settings.runs, verbose: fc.VerbosityLevel.Verbose });
}

function describeViolations(violations: Violation[]): string {
  const byInvariant = new Map<string, Violation[]>();
  for (const violation of violations) byInvariant.set(violation.invariant, [...(byInvariant.get(violation.invariant) ?? []), violation]);
  return [...byInvariant]
    .map(([invariant, found]) => `invariant violated: ${invariant}\n${found.map((violation) => `  - ${violation.detail}`).join('\n')}`)
    .join('\n');
}

const describeRun = (model: RunModel) =>
  `run ${model.tag} (customers ${model.customers.join(', ')}), commands and answers:\n${model.trace.join('\n')}`;
