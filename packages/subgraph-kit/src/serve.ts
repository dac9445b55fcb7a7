import type { ContextName } from '@bookshop/contexts';
import { startTracing } from '@bookshop/telemetry';
import type { ServiceDatabase } from '@bookshop/runtime';
import type { Subgraph } from './define-subgraph.js';

/**
 * A subgraph's main (`@bookshop/subgraph-kit/main`): tracing starts first, then the subgraph is
 * loaded — the instrumentations only see modules loaded after them, so this module imports nothing
 * they trace, and the service comes in by `load`.
 */
export async function serveSubgraph<Database extends ServiceDatabase, Settings, Options>(
  context: ContextName,
  load: () => Promise<Subgraph<Database, Settings, Options>>,
): Promise<void> {
  // Every log line names its service; the logger reads this when the runtime loads, below.
  process.env.SERVICE_NAME ??= context;
  const tracing = await startTracing(context);
  const { runSubgraph } = await import('./run-subgraph.js');
  await runSubgraph(await load(), tracing.stop);
}
