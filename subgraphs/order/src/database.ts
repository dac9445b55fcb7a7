import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client.js';

export function createOrderDatabase(connectionString: string) {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString }) });
}

export type OrderDatabase = ReturnType<typeof createOrderDatabase>;
export type { Order } from './generated/prisma/client.js';
