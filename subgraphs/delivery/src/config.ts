import { postgresDatabaseUrl } from '@bookshop/prisma';
import { readServiceEnv, type ServiceConfig } from '@bookshop/runtime';

export interface DeliveryConfig extends ServiceConfig {
  databaseUrl: string;
}

export function deliveryConfig(env: NodeJS.ProcessEnv = process.env): DeliveryConfig {
  const { env: _env, ...shared } = readServiceEnv(4003, {}, env);
  return { ...shared, databaseUrl: postgresDatabaseUrl('delivery', env) };
}
