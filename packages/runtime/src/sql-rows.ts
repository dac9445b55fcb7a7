/**
 * Multi-row statements through Prisma's `$queryRaw`, for what its model queries cannot say in one
 * statement (an insert that reports which rows were new, an upsert of many rows). The values stay
 * parameters — Prisma writes each engine's placeholders ($1 on PostgreSQL, ? on SQLite) — and the
 * identifiers are our own constants, checked here.
 */
export interface RawQueryClient {
  $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<T>;
}

const identifier = (name: string): string => {
  if (!/^\w+$/.test(name)) throw new Error(`not an identifier: ${name}`);
  return `"${name}"`;
};

/** A template of `parts` joined by the values' placeholders, as a tagged template would hand it to Prisma. */
function template(parts: string[]): TemplateStringsArray {
  return Object.assign([...parts], { raw: [...parts] });
}

/**
 * `INSERT INTO table (columns) VALUES (…), (…) <tail>` for rows of the same columns (in the order of
 * the first row's keys); resolves with what the statement returns (the tail's RETURNING).
 */
export async function insertRows<T = unknown>(
  tx: RawQueryClient,
  table: string,
  rows: Array<Record<string, unknown>>,
  tail = '',
): Promise<T[]> {
  if (rows.length === 0) return [];
  const columns = Object.keys(rows[0]!);
  const parts = [`INSERT INTO ${identifier(table)} (${columns.map(identifier).join(', ')}) VALUES (`];
  const values: unknown[] = [];
  rows.forEach((row, index) =>
    columns.forEach((column, position) => {
      values.push(row[column]);
      if (position < columns.length - 1) parts.push(', ');
      else parts.push(index < rows.length - 1 ? '), (' : `)${tail ? ` ${tail}` : ''}`);
    }),
  );
  return tx.$queryRaw<T[]>(template(parts), ...values);
}

/** Inserts the rows, or updates every other column of those whose `key` exists: one statement (PostgreSQL and SQLite). */
export async function upsertRows(tx: RawQueryClient, table: string, key: string, rows: Array<Record<string, unknown>>): Promise<void> {
  if (rows.length === 0) return;
  const others = Object.keys(rows[0]!).filter((column) => column !== key);
  const set = others.map((column) => `${identifier(column)} = excluded.${identifier(column)}`).join(', ');
  await insertRows(tx, table, rows, `ON CONFLICT (${identifier(key)}) DO UPDATE SET ${set}`);
}
