/** The figures as a table a person reads: medians, spreads (min–max) and the targets beside them. */
const n = (value: unknown, digits = 0) => (typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '—');

function table(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => `  ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')}`;
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(line(widths.map((width) => '-'.repeat(width))));
  for (const row of rows) console.log(line(row));
}

export function printReport(report: any): void {
  console.log(
    `\nBookshop benchmark — ${report.date} — ${report.machine.cpus} × ${report.machine.cpu}, ${report.machine.memoryGb} GiB, Node ${report.machine.node}`,
  );
  const efficiency = report.routerEfficiency;
  if (efficiency) {
    for (const [query, label] of [
      ['oneSubgraph', 'one subgraph: { books(first: 20) { id title author stock } }'],
      ['twoSubgraphs', 'two subgraphs: { books(first: 20) { title reviews { rating } } }'],
    ] as const) {
      table(
        `Router efficiency, ${label} (32 connections)`,
        ['target', 'req/s (median)', 'spread', 'p50 ms', 'p99 ms', 'gateway CPU ms/req', 'RSS MB', 'errors'],
        Object.entries(efficiency[query]).map(([target, f]: [string, any]) => [
          target,
          n(f.rps.median),
          `${n(f.rps.min)}–${n(f.rps.max)}`,
          n(f.p50, 1),
          n(f.p99, 1),
          n(f.cpuPerRequestMs, 3),
          n(f.rssMb),
          String(f.errors),
        ]),
      );
    }
    table(
      'Ratios (targets: ours/direct ≥ 0.5; ours ahead of the Hive Gateway)',
      ['ratio', 'value'],
      Object.entries(efficiency.ratios).map(([k, v]) => [k, n(v, 2)]),
    );
  }
  if (report.refusals) {
    table(
      'Operations over a limit, refused by the router before any subgraph hears of them (one at a time)',
      ['attack', 'characters', 'refused by', 'fastest ms', 'p50 ms', 'max ms'],
      Object.entries(report.refusals).map(([attack, f]: [string, any]) => [
        attack,
        String(f.characters),
        f.refusedBy,
        n(f.fastestMs, 1),
        n(f.p50, 1),
        n(f.max, 1),
      ]),
    );
  }
  if (report.orders) {
    const o = report.orders;
    table(
      'placeOrder through the router, 32 in flight (target: ≥ 1000/s, p99 ≤ 100 ms, no errors)',
      ['orders/s (median)', 'spread', 'p50 ms', 'p99 ms', 'errors'],
      [
        [
          n(o.ordersPerSecond.median),
          `${n(o.ordersPerSecond.min)}–${n(o.ordersPerSecond.max)}`,
          n(o.p50, 1),
          n(o.p99, 1),
          String(o.errors),
        ],
      ],
    );
    table(
      'CPU per placed order, and resident memory under that load',
      ['process', 'CPU ms/order', 'RSS MB'],
      Object.keys(o.cpuPerOrderMs).map((name) => [name, n(o.cpuPerOrderMs[name], 2), n(o.rssUnderLoadMb[name])]),
    );
  }
  if (report.eventLatency) {
    table(
      "placeOrder returned → entry on my page's subscription, orders at a steady rate (target p99 ≤ 100 ms at 200/s)",
      ['orders/s', 'placed', 'seen', 'p50 ms', 'p99 ms', 'max ms'],
      report.eventLatency.map((e: any) => [
        String(e.ratePerSecond),
        String(e.ordersPlaced),
        String(e.seen),
        n(e.p50, 1),
        n(e.p99, 1),
        n(e.max, 1),
      ]),
    );
  }
  if (report.fanOut) {
    table(
      'Live fan-out through the router: one change → every subscriber (target: 10,000 in ≤ 1 s)',
      ['subscribers', 'received', 'subscribe ms', 'change → last ms', 'router RSS MB before → subscribed'],
      report.fanOut.map((f: any) => [
        String(f.subscribers),
        String(f.received),
        n(f.subscribeMs),
        n(f.changeToLastMs),
        `${n(f.routerRssMb.before)} → ${n(f.routerRssMb.subscribed)}`,
      ]),
    );
  }
  if (report.footprint) {
    const f = report.footprint;
    table(
      'Footprint (targets: ready ≤ 10 s; every process idle < 150 MB)',
      ['figure', 'value'],
      [
        ['first pnpm start, empty databases → router ready (ms, each run)', f.startToReadyMs.map((ms: number) => n(ms)).join(', ')],
        ...Object.entries(f.idleRssMb).map(([name, mb]) => [`${name} idle RSS (MB)`, n(mb)]),
      ],
    );
  }
}
