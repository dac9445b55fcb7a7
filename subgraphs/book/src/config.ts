import { postgresDatabaseUrl } from '@bookshop/prisma';
import { readServiceEnv, type ServiceConfig } from '@bookshop/runtime';

export interface BookConfig extends ServiceConfig {
  databaseUrl: string;
}

export function bookConfig(env: NodeJS.ProcessEnv = process.env): BookConfig {
  const { env: _env, ...shared } = readServiceEnv(4001, {}, env);
  return { ...shared, databaseUrl: postgresDatabaseUrl('book', env) };
}
