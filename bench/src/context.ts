import type { TestShop } from '@bookshop/e2e/shop';

/** What every scenario gets: the running shop, and how long and how often to measure. */
export interface BenchContext {
  shop: TestShop;
  /** The checkout whose compiled services the shop runs (this one, or the reference). */
  root: string;
  /** Repetitions of each measured figure (the table shows the median and the spread). */
  runs: number;
  /** Length of one measured run. */
  durationMs: number;
}

export const routerPid = (shop: TestShop) => shop.processes.router.child.pid!;
