import { runMain, stopOnSignals, type ServiceDatabase } from '@bookshop/runtime';
import type { Subgraph } from './define-subgraph.js';

/** A subgraph's main: configuration from the environment, then serve until SIGTERM or SIGINT. */
export function runSubgraph<Database extends ServiceDatabase, Settings, Options>(
  subgraph: Subgraph<Database, Settings, Options>,
): Promise<void> {
  return runMain(async () => {
    const service = await subgraph.start(subgraph.readConfig());
    stopOnSignals([service.stop]);
  });
}
