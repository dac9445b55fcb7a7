import { sqliteDatabaseUrl } from '@bookshop/prisma';
import { readServiceEnv, type ServiceConfig } from '@bookshop/runtime';
import { z } from 'zod';

export interface MyPageConfig extends ServiceConfig {
  databaseUrl: string;
  /** Names this instance's durable consumer: each instance keeps its own read model. */
  instance: string;
}

export function myPageConfig(env: NodeJS.ProcessEnv = process.env): MyPageConfig {
  const { env: own, ...shared } = readServiceEnv(
    4005,
    {
      MYPAGE_INSTANCE: z
        .string()
        .regex(/^[\w-]+$/)
        .default('main'),
    },
    env,
  );
  return { ...shared, databaseUrl: sqliteDatabaseUrl('mypage', env), instance: own.MYPAGE_INSTANCE };
}
