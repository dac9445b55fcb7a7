import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as shopModule from '@bookshop/e2e/shop';
import type * as testingModule from '@bookshop/testing';

/** A checkout of this repository whose compiled services a scenario runs: this one ("now") or `--reference`. */
export interface Checkout {
  label: 'now' | 'reference';
  root: string;
  /** The commit its HEAD names (a working tree may differ from it), when .git says. */
  commit?: string;
  startShop: typeof shopModule.startShop;
  /** Its migrated template databases, made if missing (see packages/testing/src/templates.ts). */
  prepareTemplates: () => Promise<void>;
}

/**
 * Loads a checkout's own shop launcher (e2e/support/shop.ts, run from its sources like this
 * bench's) rather than pointing ours at its services: its launcher starts its services as they
 * expect, and its databases are cloned from templates of its own migrations, which need not be
 * ours. The scenarios driving the shop stay this bench's.
 */
export async function loadCheckout(label: Checkout['label'], root: string): Promise<Checkout> {
  const from = (file: string) => import(pathToFileURL(path.join(root, file)).href);
  const shop = (await from('e2e/support/shop.ts')) as typeof shopModule;
  const testing = (await from('packages/testing/src/index.ts')) as typeof testingModule;
  for (const service of ['router', 'subgraphs/order']) {
    if (!existsSync(path.join(root, service, 'dist', 'main.js')))
      throw new Error(`${root} is not built (no ${service}/dist): run pnpm build there`);
  }
  const commit = commitOf(root);
  return { label, root, ...(commit ? { commit } : {}), startShop: shop.startShop, prepareTemplates: testing.prepareTemplates };
}

/** HEAD's commit, read from the files under .git (a worktree's .git is a file naming its folder). */
function commitOf(root: string): string | undefined {
  try {
    let gitDir = path.join(root, '.git');
    if (statSync(gitDir).isFile())
      gitDir = path.resolve(
        root,
        readFileSync(gitDir, 'utf8')
          .replace(/^gitdir:\s*/, '')
          .trim(),
      );
    const head = readFileSync(path.join(gitDir, 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head;
    const ref = head.slice('ref: '.length);
    const commonFile = path.join(gitDir, 'commondir');
    const common = existsSync(commonFile) ? path.resolve(gitDir, readFileSync(commonFile, 'utf8').trim()) : gitDir;
    const loose = path.join(common, ref);
    if (existsSync(loose)) return readFileSync(loose, 'utf8').trim();
    return new RegExp(`^([0-9a-f]{40}) ${ref}$`, 'm').exec(readFileSync(path.join(common, 'packed-refs'), 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}
