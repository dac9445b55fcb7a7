/**
 * Turns one-key lookups made in the same turn of the event loop into one call for all the keys.
 * A query plan's entity fetch hands a subgraph many representations at once (twenty books, each
 * asking for its reviews), and the resolver runs once per representation: without this, one
 * database query each. Nothing is cached between turns, so a caller never sees stale data.
 */
export function batched<K, V>(loadMany: (keys: K[]) => Promise<Map<K, V>>): (key: K) => Promise<V | undefined> {
  type Waiting = Array<{ key: K; resolve: (value: V | undefined) => void; reject: (error: unknown) => void }>;
  let pending: Waiting | undefined;

  const flush = async (batch: Waiting) => {
    try {
      const found = await loadMany([...new Set(batch.map((entry) => entry.key))]);
      for (const entry of batch) entry.resolve(found.get(entry.key));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  };

  return (key) =>
    new Promise((resolve, reject) => {
      if (!pending) {
        const batch: Waiting = [];
        pending = batch;
        setImmediate(() => {
          pending = undefined;
          void flush(batch);
        });
      }
      pending.push({ key, resolve, reject });
    });
}

/** Groups rows by a key, for `batched` loaders that answer a list per key. */
export function groupBy<K, T>(rows: T[], keyOf: (row: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}
