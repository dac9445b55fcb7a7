import { sqliteDatabaseUrl } from '@bookshop/prisma';
import { readServiceEnv, type ServiceConfig } from '@bookshop/runtime';

export interface MyPageConfig extends ServiceConfig {
  databaseUrl: string;
}

export function myPageConfig(env: NodeJS.ProcessEnv = process.env): MyPageConfig {
  const { env: _env, ...shared } = readServiceEnv(4005, {}, env);
  return { ...shared, databaseUrl: sqliteDatabaseUrl('mypage', env) };
}
