import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerBook } from '@bookshop/e2e/orders';
import { routerCredentialHeaders } from '@bookshop/testing';
import { freePort, spawnManaged, type ManagedProcess } from '@bookshop/tools';
import type { BenchContext } from '../context.js';
import { closedLoop, medianRun, summarize } from '../load.js';
import { cpuMs, rssMb } from '../proc.js';

/** One subgraph (book), and two (book, then review for each book's reviews). */
export const QUERIES = {
  oneSubgraph: '{ books(first: 20) { id title author stock } }',
  twoSubgraphs: '{ books(first: 20) { title reviews { rating } } }',
} as const;
type QueryName = keyof typeof QUERIES;

export interface TargetFigures {
  rps: { median: number; min: number; max: number };
  p50: number;
  p99: number;
  /** CPU time of the gateway process per request (ms), from /proc; absent for a subgraph. */
  cpuPerRequestMs?: number;
  rssMb?: number;
  errors: number;
}

const gatewaysDir = fileURLToPath(new URL('../gateways/', import.meta.url));

/** The checkout's committed supergraph, pointed at this shop's subgraphs, written into `dir`. */
function supergraphFor(context: BenchContext, dir: string): string {
  let sdl = readFileSync(path.join(context.root, 'router', 'supergraph.graphql'), 'utf8');
  for (const [name, url] of Object.entries(context.shop.urls)) {
    sdl = sdl.replace(new RegExp(`(@join__graph\\(name: "${name}", url: )"[^"]+"`), `$1"${url}"`);
  }
  const file = path.join(dir, 'supergraph.graphql');
  writeFileSync(file, sdl);
  return file;
}

async function startGateway(name: string, script: string, args: string[]): Promise<{ url: string; process: ManagedProcess }> {
  const port = await freePort();
  const process = spawnManaged({
    name,
    command: globalThis.process.execPath,
    args: ['--import', 'tsx', path.join(gatewaysDir, script), String(port), ...args],
    onLine: () => {},
  });
  const url = `http://127.0.0.1:${port}/graphql`;
  for (let waited = 0; ; waited += 200) {
    const answer = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: QUERIES.oneSubgraph }),
    }).catch(() => undefined);
    if (answer?.ok) break;
    if (waited > 60_000 || process.child.exitCode !== null) throw new Error(`${name} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { url, process };
}

async function measure(context: BenchContext, url: string, query: string, pid: number | undefined): Promise<TargetFigures> {
  const body = JSON.stringify({ query });
  const load = (durationMs: number) => closedLoop({ url, connections: 32, durationMs, body });
  await load(1_000); // warm-up: JIT, plan caches, connection pools
  const runs = [];
  let cpu = 0;
  let requests = 0;
  for (let run = 0; run < context.runs; run++) {
    const before = pid ? cpuMs(pid) : 0;
    const result = await load(context.durationMs);
    if (pid) cpu += cpuMs(pid) - before;
    requests += result.requests;
    runs.push(result);
  }
  const median = medianRun(runs);
  return {
    rps: summarize(runs.map((r) => r.rps)),
    p50: median.p50,
    p99: median.p99,
    ...(pid ? { cpuPerRequestMs: cpu / requests, rssMb: rssMb(pid) } : {}),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
  };
}

export type RouterEfficiency = Record<QueryName, Record<string, TargetFigures>> & {
  ratios: Record<string, number>;
};

/**
 * Requests/s, latency and gateway CPU per request for the same two queries through our router,
 * a stock @apollo/gateway, the Hive Gateway (JS planner and Rust planner) and — for the
 * one-subgraph query — the book subgraph directly.
 */
export async function routerEfficiency(context: BenchContext): Promise<RouterEfficiency> {
  const { shop } = context;
  for (let n = 0; n < 20; n++) await registerBook(shop, 1_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bookshop-bench-'));
  const supergraph = supergraphFor(context, dir);
  const started: ManagedProcess[] = [];
  // The subgraphs answer entity fetches only to the shop's router: the other gateways carry its
  // credential (valid for ten minutes, longer than this scenario runs), the one header they add.
  const credential = Object.values(await routerCredentialHeaders())[0]!;
  const startOne = async (name: string, script: string, args: string[]) => {
    const gateway = await startGateway(name, script, [args[0]!, credential, ...args.slice(1)]);
    started.push(gateway.process);
    return gateway;
  };
  try {
    const gateways = {
      'apollo-gateway (stock)': await startOne('stock-gateway', 'stock-apollo-gateway.ts', [supergraph]),
      'hive-gateway': await startOne('hive-gateway', 'hive-gateway.ts', [supergraph]),
      'hive-gateway (rust planner)': await startOne('hive-gateway-rust', 'hive-gateway.ts', [supergraph, 'rust']),
    };
    const result = { oneSubgraph: {}, twoSubgraphs: {} } as RouterEfficiency;
    for (const name of Object.keys(QUERIES) as QueryName[]) {
      const query = QUERIES[name];
      result[name].ours = await measure(context, shop.url, query, shop.processes.router.child.pid);
      for (const [label, gateway] of Object.entries(gateways)) {
        result[name][label] = await measure(context, gateway.url, query, gateway.process.child.pid);
      }
      if (name === 'oneSubgraph') result[name]['book subgraph (direct)'] = await measure(context, shop.urls.book, query, undefined);
    }
    const rps = (query: QueryName, target: string) => result[query][target]!.rps.median;
    const bestHive = (query: QueryName) => Math.max(rps(query, 'hive-gateway'), rps(query, 'hive-gateway (rust planner)'));
    result.ratios = {
      'one subgraph: ours / direct': rps('oneSubgraph', 'ours') / rps('oneSubgraph', 'book subgraph (direct)'),
      'one subgraph: ours / stock': rps('oneSubgraph', 'ours') / rps('oneSubgraph', 'apollo-gateway (stock)'),
      'two subgraphs: ours / stock': rps('twoSubgraphs', 'ours') / rps('twoSubgraphs', 'apollo-gateway (stock)'),
      'two subgraphs: ours / best Hive': rps('twoSubgraphs', 'ours') / bestHive('twoSubgraphs'),
    };
    return result;
  } finally {
    await Promise.all(started.map((process) => process.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}
