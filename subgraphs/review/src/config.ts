import { sqliteDatabaseUrl } from '@bookshop/prisma';
import { readServiceEnv, type ServiceConfig } from '@bookshop/runtime';

export interface ReviewConfig extends ServiceConfig {
  databaseUrl: string;
}

export function reviewConfig(env: NodeJS.ProcessEnv = process.env): ReviewConfig {
  const { env: _env, ...shared } = readServiceEnv(4004, {}, env);
  return { ...shared, databaseUrl: sqliteDatabaseUrl('review', env) };
}
