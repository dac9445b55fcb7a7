import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { tuneSqlite } from '@bookshop/runtime';
import { PrismaClient } from './generated/prisma/client.js';

export async function openReviewDatabase(url: string) {
  const db = new PrismaClient({ adapter: new PrismaBetterSQLite3({ url }) });
  await tuneSqlite(db);
  return db;
}

export type ReviewDatabase = Awaited<ReturnType<typeof openReviewDatabase>>;
export type { Review } from './generated/prisma/client.js';
