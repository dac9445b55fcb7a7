import { runMain, stopOnSignals, type ServiceDatabase } from '@bookshop/runtime';
import type { Subgraph } from './define-subgraph.js';

/** Configuration from the environment, then serve until SIGTERM or SIGINT; `afterStop` runs last (the spans' flush). */
export function runSubgraph<Database extends ServiceDatabase, Settings, Options>(
  subgraph: Subgraph<Database, Settings, Options>,
  afterStop: () => Promise<void> = async () => {},
): Promise<void> {
  return runMain(async () => {
    const service = await subgraph.start(subgraph.readConfig());
    stopOnSignals([service.stop, afterStop]);
  });
}
