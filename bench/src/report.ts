/**
 * The figures as tables a person reads: a row per figure, the issue's target beside it, then each
 * checkout's result ("reference", then "now") marked ✔ or ✘ against the target where it has one.
 * Medians come with their spread (min–max) where a figure was measured more than once.
 */
/** Figures as a scenario wrote them (see each scenario's *Figures interface). */
type Figures = any;

interface Row {
  figure: string;
  /** The issue's target, in words; '—' when it sets none. */
  target: string;
  show: (figures: Figures) => string;
  /** Whether a result meets the target; `reference` is the reference's figures (for "≥ 2× the reference"). */
  meets?: (figures: Figures, reference: Figures | undefined) => boolean | undefined;
}

interface Section {
  title: string;
  /** Where the section's figures are in a checkout's results, and which variant (a rate, a count). */
  key: string;
  variant?: string;
  rows: Row[];
  /** Lines printed under the table for one checkout's figures (first errors). */
  notes?: (figures: Figures) => string[];
}

interface Side {
  label: string;
  results: Record<string, Figures>;
}

const n = (value: unknown, digits = 0) => (typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '—');
const spread = (f: { median: number; min: number; max: number }, digits = 0) =>
  `${n(f.median, digits)} (${n(f.min, digits)}–${n(f.max, digits)})`;
const mark = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? ' ✔' : ' ✘');
const figuresOf = (side: Side | undefined, section: Section) =>
  section.variant === undefined ? side?.results[section.key] : side?.results[section.key]?.[section.variant];

function table(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => `  ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')}`.trimEnd();
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(line(widths.map((width) => '-'.repeat(width))));
  for (const row of rows) console.log(line(row));
}

function printSection(section: Section, sides: Side[]): void {
  if (!sides.some((side) => figuresOf(side, section) !== undefined)) return;
  const reference = sides.find((side) => side.label === 'reference');
  const cell = (row: Row, side: Side) => {
    const figures = figuresOf(side, section);
    if (figures === undefined) return '—';
    if (figures.failed) return 'failed';
    const own = side === reference ? undefined : figuresOf(reference, section);
    return `${row.show(figures)}${mark(row.meets?.(figures, own))}`;
  };
  table(
    section.title,
    ['figure', 'target', ...sides.map((side) => side.label)],
    section.rows.map((row) => [row.figure, row.target, ...sides.map((side) => cell(row, side))]),
  );
  for (const side of sides) {
    const figures = figuresOf(side, section);
    if (!figures) continue;
    const notes = figures.failed ? [`failed: ${figures.failed}`] : (section.notes?.(figures) ?? []);
    for (const note of notes) console.log(`  ${side.label}: ${note}`);
  }
}

/** Variants (rates, counts) any checkout measured, in numeric order. */
const variantsOf = (sides: Side[], key: string) =>
  [...new Set(sides.flatMap((side) => Object.keys(side.results[key] ?? {})))].sort((a, b) => Number(a) - Number(b));

/** Keys of a record inside the figures (gateways, processes, services), over every checkout. */
const namesIn = (sides: Side[], read: (results: Record<string, Figures>) => Record<string, unknown> | undefined) => [
  ...new Set(sides.flatMap((side) => Object.keys(read(side.results) ?? {}))),
];

const firstError = (figures: Figures) => (figures.firstError ? [`first error: ${String(figures.firstError).trim()}`] : []);

function routerSections(sides: Side[]): Section[] {
  const queries = [
    ['oneSubgraph', 'one subgraph: { books(first: 20) { id title author stock } }'],
    ['twoSubgraphs', 'two subgraphs: { books(first: 20) { title reviews { rating } } }'],
  ] as const;
  const ratio = (name: string, target: string, meets: (value: number) => boolean): Row => ({
    figure: name,
    target,
    show: (f) => n(f.ratios[name], 2),
    meets: (f) => meets(f.ratios[name]),
  });
  return [
    ...queries.map(([query, label]) => ({
      title: `Router efficiency, ${label} (32 connections): req/s (spread) · p50/p99 ms · gateway CPU ms/req · RSS MB`,
      key: 'routerEfficiency',
      rows: namesIn(sides, (results) => results.routerEfficiency?.[query]).map((gateway) => ({
        figure: gateway,
        target: '—',
        show: (f: Figures) => {
          const g = f[query][gateway];
          if (!g) return '—';
          const errors = g.errors ? ` · ${g.errors} errors` : '';
          return `${spread(g.rps)} · ${n(g.p50, 1)}/${n(g.p99, 1)} · ${n(g.cpuPerRequestMs, 3)} · ${n(g.rssMb)}${errors}`;
        },
      })),
    })),
    {
      title: 'Router ratios (requests/s)',
      key: 'routerEfficiency',
      rows: [
        ratio('one subgraph: ours / direct', '≥ 0.5', (value) => value >= 0.5),
        ratio('one subgraph: ours / stock', '> 1 (ahead)', (value) => value > 1),
        ratio('two subgraphs: ours / stock', '> 1 (ahead)', (value) => value > 1),
        ratio('two subgraphs: ours / best Hive', '> 1 (ahead)', (value) => value > 1),
      ],
    },
  ];
}

function refusalSection(sides: Side[]): Section {
  return {
    title:
      'Operations over a limit, refused by the router before any subgraph hears of them (one at a time): refused by · fastest/p50/max ms',
    key: 'refusals',
    rows: namesIn(sides, (results) => results.refusals).map((attack) => ({
      figure: attack,
      target: '—',
      show: (f: Figures) =>
        f[attack] ? `${f[attack].refusedBy} · ${n(f[attack].fastestMs, 1)}/${n(f[attack].p50, 1)}/${n(f[attack].max, 1)}` : '—',
    })),
  };
}

function orderSection(sides: Side[]): Section {
  const processes = namesIn(sides, (results) => results.orders?.cpuPerOrderMs);
  return {
    title: 'placeOrder through the router, 32 in flight (closed loop), and the CPU it costs',
    key: 'orders',
    rows: [
      {
        figure: 'orders/s, median (min–max of the runs)',
        target: '≥ 2× reference',
        show: (f) => spread(f.ordersPerSecond),
        meets: (f, reference) =>
          reference?.ordersPerSecond ? f.ordersPerSecond.median >= 2 * reference.ordersPerSecond.median : undefined,
      },
      { figure: 'p50 / p99 ms (the median run)', target: '—', show: (f) => `${n(f.p50, 1)} / ${n(f.p99, 1)}` },
      { figure: 'errors', target: '0', show: (f) => String(f.errors), meets: (f) => f.errors === 0 },
      ...processes.map((name) => ({
        figure: `CPU per placed order, ${name} (ms) · RSS under load (MB)`,
        target: '—',
        show: (f: Figures) => `${n(f.cpuPerOrderMs[name], 2)} · ${n(f.rssUnderLoadMb[name])}`,
      })),
      {
        figure: 'CPU per placed order, the six processes together (ms)',
        target: '≤ 12',
        show: (f) => n(f.cpuPerOrderTotalMs, 2),
        meets: (f) => f.cpuPerOrderTotalMs <= 12,
      },
    ],
    notes: firstError,
  };
}

function eventLatencySections(sides: Side[]): Section[] {
  return variantsOf(sides, 'eventLatency').map((rate) => {
    const targeted = rate === '100';
    return {
      title: `placeOrder at ${rate}/s offered (open loop, 20 customers), and its entry on the customer's my page subscription`,
      key: 'eventLatency',
      variant: rate,
      rows: [
        {
          figure: 'achieved orders/s',
          target: '—',
          show: (f) => `${n(f.achievedRps)}${f.maxSendLagMs > 20 ? ` (bench ${n(f.maxSendLagMs)} ms behind at worst)` : ''}`,
        },
        {
          figure: 'placeOrder p50 / p99 ms (from when it was due)',
          target: targeted ? 'p99 ≤ 150' : '—',
          show: (f) => `${n(f.placeOrder.p50, 1)} / ${n(f.placeOrder.p99, 1)}`,
          ...(targeted ? { meets: (f: Figures) => f.placeOrder.p99 <= 150 } : {}),
        },
        {
          figure: 'answer → my page p50 / p99 ms (entries seen / orders placed)',
          target: targeted ? 'p99 ≤ 100' : '—',
          show: (f) => `${n(f.eventToMyPage.p50, 1)} / ${n(f.eventToMyPage.p99, 1)} (${f.seen}/${f.ordersPlaced})`,
          ...(targeted ? { meets: (f: Figures) => f.seen === f.ordersPlaced && f.eventToMyPage.p99 <= 100 } : {}),
        },
        { figure: 'errors', target: '0', show: (f) => String(f.errors), meets: (f) => f.errors === 0 },
      ],
      notes: firstError,
    };
  });
}

function statementSection(sides: Side[]): Section {
  const services = namesIn(sides, (results) => results.statements?.perService);
  return {
    title:
      'Database statements per placed order, every one until the events settled (Prisma spans: statements incl. COMMIT · transactions · idle statements/s)',
    key: 'statements',
    rows: [
      ...services.map((service) => ({
        figure: service,
        target: '—',
        show: (f: Figures) => {
          const s = f.perService[service];
          return s ? `${n(s.statementsPerOrder, 2)} · ${n(s.transactionsPerOrder, 2)} · ${n(s.idlePerSecond, 1)}/s` : '—';
        },
      })),
      {
        figure: 'all services',
        target: '—',
        show: (f) => `${n(f.total.statementsPerOrder, 2)} · ${n(f.total.transactionsPerOrder, 2)}`,
      },
      {
        figure: 'orders placed (errors) · seconds until settled',
        target: '—',
        show: (f) => `${f.orders} (${f.errors}) · ${n(f.windowSeconds, 1)}`,
      },
    ],
    notes: firstError,
  };
}

function fanOutSection(sides: Side[]): Section {
  return {
    title: 'Live fan-out through the router: one order, one change → every subscriber',
    key: 'fanOut',
    rows: variantsOf(sides, 'fanOut').map((subscribers) => ({
      figure: `${subscribers} subscribers: cancel sent → last ms (received) · subscribe ms · router MB before → subscribed`,
      target: subscribers === '10000' ? '≤ 1000 ms' : '—',
      show: (all: Figures) => {
        const f = all[subscribers];
        if (!f) return '—';
        if (f.failed) return 'failed';
        return `${n(f.changeToLastMs)} (${f.received}) · ${n(f.subscribeMs)} · ${n(f.routerRssMb.before)} → ${n(f.routerRssMb.subscribed)}`;
      },
      ...(subscribers === '10000'
        ? { meets: (all: Figures) => (all[subscribers]?.failed ? false : all[subscribers]?.changeToLastMs <= 1000) }
        : {}),
    })),
    notes: (all) =>
      Object.entries(all).flatMap(([subscribers, f]: [string, Figures]) => (f.failed ? [`${subscribers} failed: ${f.failed}`] : [])),
  };
}

function perCustomerSection(): Section {
  return {
    title: 'Customers each subscribed through the router to their own order, one change (cancel) each',
    key: 'fanOutPerCustomer',
    rows: [
      {
        figure: 'customers got their change within 2 s (of the changes made)',
        target: 'all',
        show: (f) => `${f.withinTwoSeconds}/${f.customers} (${f.withinTwoSeconds}/${f.changed})`,
        meets: (f) => f.withinTwoSeconds === f.customers,
      },
      {
        figure: 'change → receipt p50 / p99 / max ms',
        target: '—',
        show: (f) => `${n(f.changeToReceipt.p50)} / ${n(f.changeToReceipt.p99)} / ${n(f.changeToReceipt.max)}`,
      },
      {
        figure: 'placed · subscribed · changed · received',
        target: '—',
        show: (f) => `${f.ordersPlaced} · ${f.subscribed} · ${f.changed} · ${f.received}`,
      },
      {
        figure: 'router → my page sockets, everyone subscribed',
        target: '≤ 4',
        show: (f) => n(f.routerToMyPageSockets),
        meets: (f) => f.routerToMyPageSockets <= 4,
      },
      {
        figure: 'router RSS MB before → subscribed, peak',
        target: '≤ 600',
        show: (f) => `${n(f.routerRssMb.before)} → ${n(f.routerRssMb.subscribed)}, ${n(f.routerRssMb.peak)}`,
        meets: (f) => Math.max(f.routerRssMb.subscribed, f.routerRssMb.peak) <= 600,
      },
      {
        figure: 'cancels/s offered · achieved',
        target: '—',
        show: (f) => `${n(f.changeRate.offered)} · ${n(f.changeRate.achieved)}`,
      },
      {
        figure: 'errors placing · subscribing · changing · dropped',
        target: '0',
        show: (f) => `${f.errors.placing} · ${f.errors.subscribing} · ${f.errors.changing} · ${f.errors.droppedAfterSubscribing}`,
        meets: (f) => Object.values(f.errors).every((count) => count === 0),
      },
      {
        figure: 'setting the scene: placing · subscribing (s)',
        target: '—',
        show: (f) => `${n(f.placeMs / 1000, 1)} · ${n(f.subscribeMs / 1000, 1)}`,
      },
    ],
    notes: (f) => f.firstErrors ?? [],
  };
}

function footprintSection(sides: Side[]): Section {
  const processes = namesIn(sides, (results) => results.footprint?.idleRssMb);
  return {
    title: 'Footprint',
    key: 'footprint',
    rows: [
      {
        figure: 'first pnpm start, empty databases → router ready (ms, each run)',
        target: '≤ 10000',
        show: (f) => f.startToReadyMs.map((ms: number) => n(ms)).join(', '),
        meets: (f) => f.startToReadyMs.every((ms: number) => ms <= 10_000),
      },
      ...processes.map((name) => ({
        figure: `${name} idle RSS (MB)`,
        target: '< 150',
        show: (f: Figures) => n(f.idleRssMb[name]),
        meets: (f: Figures) => f.idleRssMb[name] < 150,
      })),
    ],
  };
}

export function printReport(report: any): void {
  console.log(
    `\nBookshop benchmark — ${report.date} — ${report.machine.cpus} × ${report.machine.cpu}, ${report.machine.memoryGb} GiB, Node ${report.machine.node}`,
  );
  const sides: Side[] = Object.entries(report.checkouts).map(([label, checkout]: [string, any]) => {
    console.log(`  ${label}: ${checkout.root}${checkout.commit ? ` (HEAD ${checkout.commit.slice(0, 7)})` : ''}`);
    return { label, results: checkout.results };
  });
  const sections = [
    ...routerSections(sides),
    refusalSection(sides),
    orderSection(sides),
    ...eventLatencySections(sides),
    statementSection(sides),
    fanOutSection(sides),
    perCustomerSection(),
    footprintSection(sides),
  ];
  for (const section of sections) printSection(section, sides);
}
