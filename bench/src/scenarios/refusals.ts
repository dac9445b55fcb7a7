import { graphql } from '@bookshop/testing';
import type { BenchContext } from '../context.js';
import { latencyStats } from '../load.js';

/**
 * Operations over the router's limits, as e2e/edge-operations.test.ts sends them (there: each is
 * refused with the limit it breaks, and no subgraph hears of it).
 */
export const ATTACKS: Record<string, string> = {
  '2,000 aliases': `{ ${Array.from({ length: 2_000 }, (_, i) => `b${i}: book(id: "${i}") { id title }`).join(' ')} }`,
  '40 aliases': `{ books(first: 1) { ${Array.from({ length: 40 }, (_, i) => `t${i}: title`).join(' ')} } }`,
  '40 levels': `{ books { ${'reviews { book { '.repeat(20)}id${' } }'.repeat(20)} } }`,
  '12 root fields': `{ ${Array.from({ length: 12 }, (_, i) => `r${i}: books(first: 1) { id }`).join(' ')} }`,
  '900 KB document': `{ books(first: 1) { ${'id '.repeat(300_000)}} }`,
  '3,000 tokens': `{ books(first: 1) { ${'id '.repeat(3_000)}} }`,
  'cost bomb': '{ books(first: 200) { reviews { book { reviews { book { title } } } } } }',
};

export interface RefusalFigures {
  characters: number;
  /** The limit the router named (extensions.limit), or the status when it named none. */
  refusedBy: string;
  fastestMs: number;
  p50: number;
  max: number;
}

/**
 * What refusing costs the router: each attack's round trip from here, one request at a time
 * (after one to warm up), 20 per run. The fastest says what it costs on an unloaded moment.
 */
export async function refusals(context: BenchContext): Promise<Record<string, RefusalFigures>> {
  const figures: Record<string, RefusalFigures> = {};
  for (const [name, query] of Object.entries(ATTACKS)) {
    const first = await graphql(context.shop.url, query);
    const timings: number[] = [];
    for (let n = 0; n < 20 * context.runs; n++) {
      const started = performance.now();
      await graphql(context.shop.url, query);
      timings.push(performance.now() - started);
    }
    const limit = first.errors?.[0]?.extensions?.limit;
    figures[name] = {
      characters: query.length,
      refusedBy: typeof limit === 'string' ? limit : `HTTP ${first.status}`,
      fastestMs: Math.min(...timings),
      ...latencyStats(timings),
    };
  }
  return figures;
}
