import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client.js';

export function createDeliveryDatabase(connectionString: string) {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString }) });
}

export type DeliveryDatabase = ReturnType<typeof createDeliveryDatabase>;
export type { Delivery, DeliveryStatus } from './generated/prisma/client.js';
