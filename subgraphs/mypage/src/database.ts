import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { tuneSqlite } from '@bookshop/runtime';
import { PrismaClient } from './generated/prisma/client.js';

export async function openMyPageDatabase(url: string) {
  const db = new PrismaClient({ adapter: new PrismaBetterSQLite3({ url }) });
  await tuneSqlite(db);
  return db;
}

export type MyPageDatabase = Awaited<ReturnType<typeof openMyPageDatabase>>;
export type { MyPageEntry } from './generated/prisma/client.js';
