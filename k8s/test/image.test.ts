import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { databaseUrl, dropDatabase, ensureDatabase } from '@bookshop/prisma';
import { TEST_NATS_URL, TEST_POSTGRES_URL, countRows } from '@bookshop/testing';
import { freePort, spawnManaged, waitUntilReady } from '@bookshop/tools';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_DIR } from './render.js';

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
const IMAGE_PACKAGES: string[] = parse(readFileSync(`${REPO_DIR}/.github/workflows/ci.yml`, 'utf8')).jobs.images.strategy.matrix.package;
const folderOf = (pkg: string) => (pkg === 'router' || pkg === 'prisma' ? pkg : `subgraphs/${pkg}`);

describe('the Dockerfile', () => {
  const steps = instructions();
  const finalStage = steps.slice(steps.findLastIndex((step) => step.keyword === 'FROM'));

  it('copies only what exists in the repository, and leaves build output and secrets out of the context', () => {
    for (const copy of steps.filter((step) => step.keyword === 'COPY' && !step.args.includes('--from'))) {
      const sources = copy.args.split(/\s+/).filter((arg) => !arg.startsWith('--')).slice(0, -1);
      for (const source of sources) expect({ source, exists: existsSync(path.join(REPO_DIR, source)) }).toEqual({ source, exists: true });
    }
    const ignored = readFileSync(`${REPO_DIR}/.dockerignore`, 'utf8').split('\n');
    for (const entry of ['.git', '**/node_modules', '**/dist', '**/src/generated']) expect(ignored).toContain(entry);
  });

  it('uses the Node and pnpm versions the project pins', () => {
    const root = JSON.parse(readFileSync(`${REPO_DIR}/package.json`, 'utf8'));
    const nodeImage = steps.find((step) => step.keyword === 'ARG' && step.args.startsWith('NODE_IMAGE='))!.args;
    const [, major, minor] = /node:(\d+)\.(\d+)/.exec(nodeImage)!;
    const [, wantMajor, wantMinor] = /(\d+)\.(\d+)/.exec(root.engines.node)!;
    expect(Number(major)).toBe(Number(wantMajor));
    expect(Number(minor)).toBeGreaterThanOrEqual(Number(wantMinor));
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

describe("the image's contents, assembled as the Dockerfile does (pnpm deploy --prod), and run", () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'bookshop-image-'));
  const database = `bookshop_image_${process.pid}_${Date.now()}`;
  afterAll(async () => {
    rmSync(work, { recursive: true, force: true });
    await dropDatabase(TEST_POSTGRES_URL, database);
  });

  const deploy = (pkg: string) => {
    const target = path.join(work, pkg);
    execFileSync('pnpm', ['--filter', `@bookshop/${pkg}`, 'deploy', '--prod', '--legacy', target], { cwd: REPO_DIR, stdio: 'ignore' });
    return target;
  };

  it("the migrations image migrates empty PostgreSQL and SQLite databases, and the book image then serves on its database", async () => {
    await ensureDatabase(TEST_POSTGRES_URL, database);
    const url = databaseUrl(TEST_POSTGRES_URL, database);

    const migrate = deploy('prisma');
    expect(existsSync(`${migrate}/node_modules/vitest`)).toBe(false); // production dependencies only
    execFileSync(process.execPath, ['dist/migrate-cli.js', 'book'], { cwd: migrate, env: { ...process.env, BOOK_DATABASE_URL: url }, stdio: 'ignore' });
    expect(await countRows(url, 'Book')).toBe(0); // the table exists
    // SQLite contexts too (the file on the pod's volume).
    execFileSync(process.execPath, ['dist/migrate-cli.js', 'review'], {
      cwd: migrate,
      env: { ...process.env, REVIEW_DATABASE_URL: `file:${work}/review.db` },
      stdio: 'ignore',
    });
    expect(existsSync(`${work}/review.db`)).toBe(true);

    const book = deploy('book');
    expect(existsSync(`${book}/node_modules/@bookshop/testing`)).toBe(false);
    const port = await freePort();
    const child = spawnManaged({
      name: 'book image',
      command: process.execPath,
      args: ['dist/main.js'],
      cwd: book,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        PORT: String(port),
        BOOK_DATABASE_URL: url,
        NATS_URL: TEST_NATS_URL,
        JWT_SECRET: 'an-image-test-secret-of-length',
        EVENT_PREFIX: `image_${process.pid}`,
        EVENT_STREAM: `IMAGE_${process.pid}`,
      },
    });
    try {
      await waitUntilReady(`http://127.0.0.1:${port}/readyz`, child, 30_000); // rejects if it dies first
    } finally {
      await child.stop();
    }
  }, 120_000);
});
