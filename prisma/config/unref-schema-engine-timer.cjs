// Preloaded into `prisma migrate` runs by src/migrate.ts only.
// Prisma 6.19's wasm schema engine arms a 10 s timer (its lock timeout) and never clears it, so
// every `migrate deploy` sits idle for 10 s after it has finished. Unref that one timer so the
// process exits when its work is done; a real wait on the lock still keeps the process alive.
const { setTimeout: originalSetTimeout } = globalThis;
globalThis.setTimeout = function setTimeoutUnrefSchemaEngine(callback, delay, ...args) {
  const timer = originalSetTimeout.call(this, callback, delay, ...args);
  if (delay === 10_000 && /wasm:\/\//.test(new Error().stack ?? '')) timer.unref();
  return timer;
};
