/**
 * Settings a SQLite database of ours runs with: WAL lets readers work while one writer writes
 * (it persists in the file), and a busy timeout makes a writer wait for the lock instead of
 * failing at once.
 */
export async function tuneSqlite(db: { $queryRawUnsafe(query: string): Promise<unknown> }): Promise<void> {
  await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await db.$queryRawUnsafe('PRAGMA busy_timeout = 5000');
}
