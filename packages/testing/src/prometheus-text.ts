/**
 * A strict reader of Prometheus' text exposition format (version 0.0.4), for tests that scrape a
 * service's /metrics: anything Prometheus would refuse, or a family without its # HELP and # TYPE,
 * throws with the line that is wrong.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** The sample's own name: a histogram's `<family>_bucket`, `_sum`, `_count`. */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES: ReadonlySet<string> = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
// Go's ParseFloat, as Prometheus reads a value: a decimal or an exponent, or ±Inf(inity) and NaN in
// any case (prom-client writes `Nan` for the mean of an empty event-loop histogram).
const FLOAT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|inf(?:inity)?|nan)$/i;
const TIMESTAMP = /^-?\d+$/;

class ExpositionError extends Error {
  constructor(lineNumber: number, line: string, problem: string) {
    super(`line ${lineNumber}: ${problem}: ${JSON.stringify(line)}`);
  }
}

const parseFloatValue = (text: string): number | undefined => {
  if (!FLOAT.test(text)) return undefined;
  if (/^[+-]?inf(?:inity)?$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  return Number(text);
};

/** A label set `{a="x",b="y"}` from `text` at `start` (its `{`): the labels and where the `}` ends. */
function readLabels(text: string, start: number, fail: (problem: string) => never): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let at = start + 1;
  while (text[at] !== '}') {
    const equals = text.indexOf('=', at);
    if (equals === -1) fail('a label without a value');
    const name = text.slice(at, equals);
    if (!LABEL_NAME.test(name)) fail(`"${name}" is not a label name`);
    if (name in labels) fail(`label "${name}" appears twice`);
    if (text[equals + 1] !== '"') fail(`label "${name}"'s value is not quoted`);
    let value = '';
    let cursor = equals + 2;
    for (;;) {
      const char = text[cursor];
      if (char === undefined) fail(`label "${name}"'s value is not closed`);
      if (char === '"') break;
      if (char === '\\') {
        const escaped = text[cursor + 1];
        if (escaped === 'n') value += '\n';
        else if (escaped === '\\' || escaped === '"') value += escaped;
        else fail(`label "${name}" has an unknown escape \\${escaped ?? ''}`);
        cursor += 2;
        continue;
      }
      if (char === '\n') fail(`label "${name}" has a raw line break`);
      value += char;
      cursor += 1;
    }
    labels[name] = value;
    at = cursor + 1;
    if (text[at] === ',') at += 1;
    else if (text[at] !== '}') fail('labels must be separated by commas');
  }
  return { labels, end: at + 1 };
}

/** The family a sample of `name` belongs to, given what its type allows for suffixes. */
function familyOf(name: string, families: Map<string, MetricFamily>): MetricFamily | undefined {
  const own = families.get(name);
  if (own && own.type !== 'histogram') return own;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const family = families.get(name.slice(0, -suffix.length));
    if (family?.type === 'histogram' || (family?.type === 'summary' && suffix !== '_bucket')) return family;
  }
  return undefined;
}

/** A histogram's buckets, per label set: bounds rising to +Inf, counts never falling, `_count` the last. */
function checkHistogram(family: MetricFamily): void {
  const series = new Map<string, { buckets: Array<[number, number]>; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (sample.name === `${family.name}_bucket`) {
      const bound = le === undefined ? undefined : parseFloatValue(le);
      if (bound === undefined) throw new Error(`${family.name}: a bucket without a numeric "le"`);
      entry.buckets.push([bound, sample.value]);
    } else if (sample.name === `${family.name}_count`) entry.count = sample.value;
  }
  for (const [key, { buckets, count }] of series) {
    const last = buckets.at(-1);
    if (!last || last[0] !== Infinity) throw new Error(`${family.name}${key}: no +Inf bucket`);
    buckets.forEach(([bound, value], index) => {
      const previous = buckets[index - 1];
      if (previous && (bound <= previous[0] || value < previous[1]))
        throw new Error(`${family.name}${key}: buckets must rise in bound and never fall in count`);
    });
    if (count !== last[1]) throw new Error(`${family.name}${key}: _count ${count} is not the +Inf bucket's ${last[1]}`);
  }
}

/** Reads a whole exposition; every family keyed by its name. */
export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const helps = new Map<string, string>();
  const seen = new Set<string>();
  // A family's lines come together: once another family's begin, it is closed.
  let current: string | undefined;
  const closed = new Set<string>();
  const enter = (family: string, fail: (problem: string) => never) => {
    if (family === current) return;
    if (closed.has(family)) fail(`${family}'s lines are not together`);
    if (current) closed.add(current);
    current = family;
  };
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, index) => {
    const fail = (problem: string): never => {
      throw new ExpositionError(index + 1, line, problem);
    };
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const [, keyword, family, ...rest] = line.split(' ');
      if (keyword !== 'HELP' && keyword !== 'TYPE') return; // a plain comment
      if (!family || !METRIC_NAME.test(family)) return fail(`# ${keyword} needs a metric name`);
      enter(family, fail);
      if (keyword === 'HELP') {
        if (helps.has(family)) fail(`a second # HELP for ${family}`);
        helps.set(
          family,
          rest.join(' ').replace(/\\(n|\\)/g, (_, escaped: string) => (escaped === 'n' ? '\n' : '\\')),
        );
      } else {
        if (families.has(family)) fail(`a second # TYPE for ${family}`);
        const type = rest.join(' ');
        if (!TYPES.has(type)) fail(`"${type}" is not a metric type`);
        families.set(family, { name: family, help: '', type: type as MetricType, samples: [] });
      }
      return;
    }
    const brace = line.indexOf('{');
    const space = line.indexOf(' ');
    const nameEnd = brace !== -1 && (space === -1 || brace < space) ? brace : space;
    if (nameEnd <= 0) fail('a sample needs a name and a value');
    const name = line.slice(0, nameEnd);
    if (!METRIC_NAME.test(name)) fail(`"${name}" is not a metric name`);
    const { labels, end } = nameEnd === brace ? readLabels(line, brace, fail) : { labels: {}, end: nameEnd };
    if (line[end] !== ' ') fail('the value must follow after one space');
    const [valueText = '', timestamp, ...extra] = line.slice(end + 1).split(' ');
    const value = parseFloatValue(valueText);
    if (value === undefined) return fail(`"${valueText}" is not a number`);
    if (extra.length || (timestamp !== undefined && !TIMESTAMP.test(timestamp))) fail('only a value and a timestamp may follow the labels');
    const family = familyOf(name, families);
    if (!family) return fail(`${name} has no # TYPE before it`);
    if (!helps.has(family.name)) fail(`${family.name} has no # HELP before its samples`);
    enter(family.name, fail);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) fail(`${name} appears twice with the same labels`);
    seen.add(key);
    family.samples.push({ name, labels, value });
  });
  for (const family of families.values()) {
    const help = helps.get(family.name);
    if (help === undefined) throw new Error(`${family.name} has a # TYPE but no # HELP`);
    family.help = help;
    if (family.type === 'histogram') checkHistogram(family);
  }
  for (const name of helps.keys()) if (!families.has(name)) throw new Error(`${name} has a # HELP but no # TYPE`);
  return families;
}

/**
 * The value of the one sample named `name` whose labels include `labels`; undefined when there is
 * none (a counter not yet incremented), an error when several match (the test must say which).
 */
export function sampleValue(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  const matching = [...families.values()]
    .flatMap((family) => family.samples)
    .filter((sample) => sample.name === name && Object.entries(labels).every(([label, value]) => sample.labels[label] === value));
  if (matching.length > 1) throw new Error(`${matching.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matching[0]?.value;
}

/** Scrapes `url` (a service's /metrics) and reads it strictly; the answer must say it is the text format. */
export async function scrapeMetrics(url: string): Promise<Map<string, MetricFamily>> {
  const response = await fetch(url);
  const body = await response.text();
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${body.slice(0, 200)}`);
  const contentType = response.headers.get('content-type') ?? '';
  if (!/^text\/plain;\s*version=0\.0\.4/.test(contentType)) throw new Error(`${url} answered ${contentType}, not the text format 0.0.4`);
  return parsePrometheusText(body);
}
