import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { appliedMigrations, committedMigrations } from './applied-migrations.js';
import type { Context } from './contexts.js';

const prismaDir = fileURLToPath(new URL('..', import.meta.url));
const prismaCli = createRequire(import.meta.url).resolve('prisma/build/index.js');
const unrefSchemaEngineTimer = fileURLToPath(
  new URL('../config/unref-schema-engine-timer.cjs', import.meta.url),
);

/**
 * Applies the context's committed migrations to the database at `databaseUrl` (idempotent). A
 * database that has every committed migration already is left alone without starting Prisma's
 * CLI (about 1.7 s of CPU each), which is most of a restart's start-up time.
 */
export async function migrateDeploy(context: Context, databaseUrl: string): Promise<void> {
  const applied = new Set(await appliedMigrations(context, databaseUrl).catch(() => []));
  if (committedMigrations(context).every((migration) => applied.has(migration))) return;
  const args = [prismaCli, 'migrate', 'deploy', '--config', `${prismaDir}/${context}/prisma.config.ts`];
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    CHECKPOINT_DISABLE: '1',
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${unrefSchemaEngineTimer}`.trim(),
  };
  const output: Buffer[] = [];
  const child = spawn(process.execPath, args, { cwd: prismaDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) {
    throw new Error(
      `prisma migrate deploy failed for ${context} (exit ${code}):\n${Buffer.concat(output).toString()}`,
    );
  }
}
