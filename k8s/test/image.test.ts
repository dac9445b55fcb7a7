import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { connectEventBus } from '@bookshop/events';
import { isContextName, isPostgresContext, type ContextName } from '@bookshop/contexts';
import { dropDatabase, ensureDatabase } from '@bookshop/prisma';
import {
  TEST_NATS_URL,
  TEST_POSTGRES_URL,
  countRows,
  eventually,
  startOtlpReceiver,
  testCredentialEnv,
  type OtlpReceiver,
} from '@bookshop/testing';
import { freePort, spawnManaged, waitUntilReady } from '@bookshop/tools';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_DIR } from './render.js';

const execFileAsync = promisify(execFile);

/** The Dockerfile as instructions: continuation lines joined, comments dropped. */
function instructions(): Array<{ keyword: string; args: string }> {
  const text = readFileSync(`${REPO_DIR}/Dockerfile`, 'utf8').replace(/\\\n/g, ' ');
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword!.toUpperCase(), args: rest.join(' ') };
    });
}

/** The packages the pipeline builds an image from (the workflow's matrix). */
const SERVER_SPAN = 2; // OTLP's SpanKind.SERVER
const IMAGE_PACKAGES: string[] = parse(readFileSync(`${REPO_DIR}/.github/workflows/ci.yml`, 'utf8')).jobs.images.strategy.matrix.package;
const folderOf = (pkg: string) => (pkg === 'router' || pkg === 'prisma' ? pkg : `subgraphs/${pkg}`);

describe('the Dockerfile', () => {
  const steps = instructions();
  const finalStage = steps.slice(steps.findLastIndex((step) => step.keyword === 'FROM'));

  it('copies only what exists in the repository, and leaves build output and secrets out of the context', () => {
    for (const copy of steps.filter((step) => step.keyword === 'COPY' && !step.args.includes('--from'))) {
      const sources = copy.args
        .split(/\s+/)
        .filter((arg) => !arg.startsWith('--'))
        .slice(0, -1);
      for (const source of sources) expect({ source, exists: existsSync(path.join(REPO_DIR, source)) }).toEqual({ source, exists: true });
    }
    const ignored = readFileSync(`${REPO_DIR}/.dockerignore`, 'utf8').split('\n');
    for (const entry of ['.git', '**/node_modules', '**/dist', '**/src/generated']) expect(ignored).toContain(entry);
  });

  it('uses the Node and pnpm versions the project pins (.node-version, within engines)', () => {
    const root = JSON.parse(readFileSync(`${REPO_DIR}/package.json`, 'utf8'));
    const nodeImage = steps.find((step) => step.keyword === 'ARG' && step.args.startsWith('NODE_IMAGE='))!.args;
    const [, major, minor] = /node:(\d+)\.(\d+)/.exec(nodeImage)!.map(Number);
    const [, pinnedMajor, pinnedMinor] = /(\d+)\.(\d+)/.exec(readFileSync(`${REPO_DIR}/.node-version`, 'utf8'))!.map(Number);
    expect({ major, minor }).toEqual({ major: pinnedMajor, minor: pinnedMinor });
    const [, leastMajor, leastMinor] = /(\d+)\.(\d+)/.exec(root.engines.node)!.map(Number);
    expect(major! > leastMajor! || (major === leastMajor && minor! >= leastMinor!)).toBe(true);
    expect(steps.some((step) => step.keyword === 'RUN' && step.args.includes(`npm install -g ${root.packageManager}`))).toBe(true);
  });

  it('ships a production-only deploy of one package, run as a non-root user, with no HEALTHCHECK', () => {
    const build = steps.find((step) => step.keyword === 'RUN' && step.args.includes(' deploy '))!.args;
    expect(build).toContain('--filter @bookshop/${PACKAGE} deploy --prod');
    expect(steps.some((step) => step.keyword === 'HEALTHCHECK')).toBe(false);
    const user = finalStage.find((step) => step.keyword === 'USER')!.args;
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/); // numeric, so runAsNonRoot can verify it
    expect(finalStage.find((step) => step.keyword === 'CMD')!.args).toBe('["node", "dist/main.js"]');
  });

  it('can build every package the pipeline ships: each builds, and has the entry point its image runs', () => {
    for (const pkg of IMAGE_PACKAGES) {
      const manifest = JSON.parse(readFileSync(`${REPO_DIR}/${folderOf(pkg)}/package.json`, 'utf8'));
      expect(manifest.name).toBe(`@bookshop/${pkg}`);
      expect(manifest.scripts.build).toBeTruthy();
      expect(manifest.files).toContain('dist');
      const entry = pkg === 'prisma' ? 'src/migrate-cli.ts' : 'src/main.ts';
      expect({ pkg, entry: existsSync(`${REPO_DIR}/${folderOf(pkg)}/${entry}`) }).toEqual({ pkg, entry: true });
      // What a service reads from beside its code at run time must be shipped too.
      for (const file of manifest.files.filter((f: string) => !f.includes('*') && f !== 'dist')) {
        expect({ pkg, file, exists: existsSync(`${REPO_DIR}/${folderOf(pkg)}/${file}`) }).toEqual({ pkg, file, exists: true });
      }
    }
  });
});

/** The services' images: every package the pipeline ships except the migrations image. */
const SERVICE_PACKAGES = IMAGE_PACKAGES.filter((pkg) => pkg !== 'prisma');
/** The database a service owns, which the migrations image prepares; the router owns none. */
const contextOf = (pkg: string): ContextName | undefined => (isContextName(pkg) ? pkg : undefined);

/** The migrations committed for a context: one folder each. */
const committedMigrationCount = (context: ContextName) =>
  readdirSync(`${REPO_DIR}/prisma/${context}/migrations`, { withFileTypes: true }).filter((entry) => entry.isDirectory()).length;

/** Build- and test-time packages: no image has one as a dependency of its own. */
const BUILD_ONLY = ['prisma', '@apollo/composition', 'vitest', '@bookshop/testing'];
/**
 * Of those, what no image has anywhere, not even as a dependency's (.pnpmfile.cjs keeps
 * @prisma/client's optional peer, the CLI, out). @apollo/composition can come in deeper:
 * @apollo/gateway itself depends on it.
 */
const NOWHERE = ['prisma', 'vitest', '@bookshop/testing'];

/** What a deployed folder holds that it should not (empty when it is as it should be). */
function buildToolsIn(dir: string, nowhere = NOWHERE): string[] {
  const store = existsSync(`${dir}/node_modules/.pnpm`) ? readdirSync(`${dir}/node_modules/.pnpm`) : [];
  const ownDependencies = BUILD_ONLY.filter((name) => existsSync(`${dir}/node_modules/${name}`));
  const deeper = nowhere
    .filter((name) => store.some((entry) => entry.startsWith(`${name.replace('/', '+')}@`)))
    .map((name) => `${name} (in node_modules/.pnpm)`);
  return [...ownDependencies, ...deeper];
}

/** Runs a command to its end; a failure says what failed and shows all it printed. */
async function runToEnd(what: string, command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<void> {
  try {
    await execFileAsync(command, args, { ...options, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { message, stdout = '', stderr = '' } = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${what} failed: ${message.split('\n')[0]}\n${stdout}${stderr}`);
  }
}

/** A queue that runs at most `limit` tasks at once. */
function taskQueue(limit: number) {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    while (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

describe("each image's contents, assembled as the Dockerfile does (pnpm deploy --prod), migrated and run", () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'bookshop-image-'));
  const run = `${process.pid}_${Date.now()}`;
  const databases: string[] = [];
  const events = { url: TEST_NATS_URL, prefix: `image_${run}`, stream: `IMAGE_${run}` };
  // Every image sends its traces here: tracing must load from a deployed folder too (its ESM hook, its instrumentations).
  let traces: OtlpReceiver;
  beforeAll(async () => {
    traces = await startOtlpReceiver();
  });
  afterAll(async () => {
    await traces.close();
    rmSync(work, { recursive: true, force: true });
    for (const database of databases) await dropDatabase(TEST_POSTGRES_URL, database);
    // The services made the run's stream on the machine's broker; leave nothing behind.
    const bus = await connectEventBus({ ...events, name: 'image-test' });
    await bus.jsm.streams.delete(events.stream);
    await bus.close();
  });

  /**
   * `pnpm --filter @bookshop/<pkg> deploy --prod --legacy`, as the Dockerfile's build stage: the
   * image's /app. All are started at once, two at a time (a deploy is mostly CPU, and there are two
   * cores); the migrations image first, as every service's test needs it. Each test awaits its own,
   * so a failed deploy fails the test of its package (and is not an unhandled rejection meanwhile).
   */
  const deploys = new Map<string, Promise<string>>();
  beforeAll(() => {
    const queue = taskQueue(2);
    for (const pkg of ['prisma', ...SERVICE_PACKAGES]) {
      const target = path.join(work, pkg);
      const deployed = queue(() =>
        runToEnd(`deploying ${pkg}`, 'pnpm', ['--filter', `@bookshop/${pkg}`, 'deploy', '--prod', '--legacy', target], { cwd: REPO_DIR }),
      ).then(() => target);
      deployed.catch(() => {});
      deploys.set(pkg, deployed);
    }
  });

  /** A new, empty database for the context, migrated by the migrations image; its URL. */
  async function migratedDatabase(context: ContextName): Promise<string> {
    const migrations = await deploys.get('prisma')!;
    let url: string;
    if (isPostgresContext(context)) {
      const database = `bookshop_image_${context}_${run}`;
      databases.push(database);
      url = await ensureDatabase(TEST_POSTGRES_URL, database);
    } else {
      url = `file:${work}/${context}.db`;
    }
    await runToEnd(`the migrations image on ${context}`, process.execPath, ['dist/migrate-cli.js', context], {
      cwd: migrations,
      env: { PATH: process.env.PATH, [`${context.toUpperCase()}_DATABASE_URL`]: url },
    });
    return url;
  }

  it('the migrations image carries no build or test tool: it applies the SQL itself, without the Prisma CLI', async () => {
    const migrations = await deploys.get('prisma')!;
    expect({ pkg: 'prisma', buildTools: buildToolsIn(migrations) }).toEqual({ pkg: 'prisma', buildTools: [] });
  }, 180_000);

  // Concurrent: each waits for its deploy, then its server starts while later deploys still run.
  const serviceTest = { timeout: 180_000 }; // from the start, with its deploy queued behind the others'
  it.concurrent.for(SERVICE_PACKAGES)(
    '%s: deployed with production dependencies only, on its migrated database, gets ready and sends its traces',
    serviceTest,
    async (pkg, { expect }) => {
      const dir = await deploys.get(pkg)!;
      expect.soft({ pkg, buildTools: buildToolsIn(dir) }).toEqual({ pkg, buildTools: [] }); // soft: the run below is checked too

      const context = contextOf(pkg);
      const databaseEnv: Record<string, string> = {};
      if (context) {
        const url = await migratedDatabase(context);
        if (isPostgresContext(context)) expect(await countRows(url, '_prisma_migrations')).toBe(committedMigrationCount(context));
        databaseEnv[`${context.toUpperCase()}_DATABASE_URL`] = url;
      }
      const port = await freePort();
      const output: string[] = [];
      const child = spawnManaged({
        name: `the ${pkg} image`,
        command: process.execPath,
        args: ['dist/main.js'],
        cwd: dir,
        // What the image's environment gives it, and no more: nothing of this shell's leaks in.
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'production',
          PORT: String(port),
          NATS_URL: events.url,
          // A production secret (32+ characters) and the keys: the router's and order's own, everyone's trust.
          ...testCredentialEnv(pkg, 'the-image-test-secret-of-at-least-32-characters'),
          EVENT_PREFIX: events.prefix,
          EVENT_STREAM: events.stream,
          OTEL_EXPORTER_OTLP_ENDPOINT: traces.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_BSP_SCHEDULE_DELAY: '100',
          ...databaseEnv,
        },
        onLine: (line) => output.push(line),
      });
      try {
        await waitUntilReady(`http://127.0.0.1:${port}/readyz`, child, 60_000); // rejects if it dies first
        // Any request to /graphql is a server span (probes are not traced), refused or not.
        await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ __typename }' }),
        });
        await eventually(
          async () => traces.spans().filter((span) => span.service === pkg && span.kind === SERVER_SPAN),
          (spans) => spans.length > 0,
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}; it printed:\n${output.join('\n')}`);
      } finally {
        await child.stop();
      }
    },
  );
});
