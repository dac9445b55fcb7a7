// Development aid: where a CPU profile's time went — self time by function, and by package.
//   node --import tsx src/profile-top.ts <file.cpuprofile> [rows]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}
type CallFrame = ProfileNode['callFrame'];
const label = (frame: CallFrame) =>
  `${frame.functionName || '(anonymous)'}  ${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber}`;
const profile = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { nodes: ProfileNode[] };
const rows = Number(process.argv[3] ?? 25);
const total = profile.nodes.reduce((sum, node) => sum + node.hitCount, 0);

const packageOf = (url: string) => {
  const match = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  if (url.startsWith('node:')) return 'node';
  return url ? (/\/work\/[^/]+\/([^/]+\/[^/]+)/.exec(url)?.[1] ?? url) : '(native/gc/idle)';
};
const top = (sums: Map<string, number>) => [...sums].sort((a, b) => b[1] - a[1]).slice(0, rows);
const tally = (key: (node: ProfileNode) => string) => {
  const sums = new Map<string, number>();
  for (const node of profile.nodes) sums.set(key(node), (sums.get(key(node)) ?? 0) + node.hitCount);
  return top(sums);
};
const show = (title: string, list: Array<[string, number]>) => {
  console.log(`\n${title}`);
  for (const [name, hits] of list) console.log(`${((100 * hits) / total).toFixed(1).padStart(5)}%  ${name}`);
};
show(
  'by package',
  tally((node) => packageOf(node.callFrame.url)),
);
show(
  'by function (self)',
  tally((node) => label(node.callFrame)),
);

// Inclusive time of the project's own functions (each sample counted once per function on its stack).
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const inclusive = new Map<string, number>();
for (const node of profile.nodes) {
  if (!node.hitCount) continue;
  const seen = new Set<string>();
  for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
    const frame = byId.get(id)!.callFrame;
    if (!/\/work\/[^/]+\/(packages|subgraphs|router)\//.test(frame.url) || frame.url.includes('node_modules')) continue;
    const name = label(frame);
    if (!seen.has(name)) inclusive.set(name, (inclusive.get(name) ?? 0) + node.hitCount);
    seen.add(name);
  }
}
show('project functions (inclusive)', top(inclusive));
