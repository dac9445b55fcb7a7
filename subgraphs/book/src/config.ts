import { postgresDatabaseUrl } from '@bookshop/prisma';
import { jwtSecret, port, readEnv, sharedEnv } from '@bookshop/runtime';

export interface BookConfig {
  port: number;
  databaseUrl: string;
  jwtSecret: string;
  shutdownGraceMs: number;
}

export function bookConfig(env: NodeJS.ProcessEnv = process.env): BookConfig {
  const parsed = readEnv(sharedEnv.extend({ PORT: port(4001) }), env);
  return {
    port: parsed.PORT,
    databaseUrl: postgresDatabaseUrl('book', env),
    jwtSecret: jwtSecret(parsed),
    shutdownGraceMs: parsed.SHUTDOWN_GRACE_MS,
  };
}
