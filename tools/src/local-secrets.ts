import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateNatsPasswords, type NatsPasswords } from '@bookshop/events';
import { generateShopCredentials, type ShopCredentials } from '@bookshop/runtime';

/** What a shop on one machine keeps secret: made on first use, per data folder, never committed. */
export interface LocalSecrets {
  credentials: ShopCredentials;
  /** Each context's password on the local nats-server (its user is its name), and the admin's. */
  nats: NatsPasswords;
}

const fileOf = (dataDir: string) => path.join(dataDir, 'secrets.json');

/**
 * The data folder's secrets, made the first time (`pnpm start`, `pnpm -s token`): nobody else
 * knows them, so nobody else can mint a staff token for this shop. JWT_SECRET, when set, wins.
 */
export function localSecrets(dataDir: string, env: NodeJS.ProcessEnv = process.env): LocalSecrets {
  const file = fileOf(dataDir);
  let secrets: LocalSecrets;
  if (existsSync(file)) {
    secrets = JSON.parse(readFileSync(file, 'utf8')) as LocalSecrets;
  } else {
    secrets = {
      credentials: generateShopCredentials(),
      nats: generateNatsPasswords(),
    };
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return env.JWT_SECRET ? { ...secrets, credentials: { ...secrets.credentials, jwtSecret: env.JWT_SECRET } } : secrets;
}

/** The data folder `pnpm start` and `pnpm -s token` share. */
export const dataDirOf = (env: NodeJS.ProcessEnv = process.env) => path.resolve(env.DATA_DIR ?? '.data');
