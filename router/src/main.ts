import { startTracing } from '@bookshop/telemetry';

// Tracing first: the instrumentations only see modules loaded after them.
process.env.SERVICE_NAME ??= 'router'; // every log line names its service
const tracing = await startTracing('router');
const { runMain, stopOnSignals } = await import('@bookshop/runtime');
const { routerConfig } = await import('./config.js');
const { startRouter } = await import('./service.js');

await runMain(async () => {
  const router = await startRouter(routerConfig());
  stopOnSignals([router.stop, tracing.stop]);
});
