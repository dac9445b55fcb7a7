import { describe, expect, it } from 'vitest';
import { parsePrometheusText, sampleValue } from './prometheus-text.js';

const valid = `# HELP requests_total Requests, by "outcome" \\\\ kind.
# TYPE requests_total counter
requests_total{outcome="ok",path="/a\\"b\\\\c\\nd"} 3
requests_total{outcome="error"} 1.5e1 1700000000000
# comment lines are allowed
# HELP latency_seconds Latency.
# TYPE latency_seconds histogram
latency_seconds_bucket{le="0.1"} 1
latency_seconds_bucket{le="+Inf"} 2
latency_seconds_sum 0.3
latency_seconds_count 2
# HELP up Up.
# TYPE up gauge
up -Inf
`;

describe('reading the Prometheus text format', () => {
  it('reads families, labels with escapes, values, and finds one sample by its labels', () => {
    const families = parsePrometheusText(valid);
    expect([...families.keys()]).toEqual(['requests_total', 'latency_seconds', 'up']);
    expect(families.get('requests_total')).toMatchObject({ type: 'counter', help: 'Requests, by "outcome" \\ kind.' });
    expect(families.get('requests_total')!.samples[0]!.labels).toEqual({ outcome: 'ok', path: '/a"b\\c\nd' });
    expect(sampleValue(families, 'requests_total', { outcome: 'error' })).toBe(15);
    expect(sampleValue(families, 'latency_seconds_count')).toBe(2);
    expect(sampleValue(families, 'up')).toBe(-Infinity);
    expect(sampleValue(families, 'requests_total', { outcome: 'lost' })).toBeUndefined();
    expect(() => sampleValue(families, 'requests_total')).toThrow(/2 samples/);
  });

  it('reads NaN and ±Inf in any case, as Prometheus does (prom-client writes `Nan` for an empty mean)', () => {
    const families = parsePrometheusText('# HELP x X.\n# TYPE x gauge\nx{a="1"} Nan\nx{a="2"} NaN\nx{a="3"} +infinity\n');
    expect(sampleValue(families, 'x', { a: '1' })).toBeNaN();
    expect(sampleValue(families, 'x', { a: '2' })).toBeNaN();
    expect(sampleValue(families, 'x', { a: '3' })).toBe(Infinity);
    expect(() => parsePrometheusText('# HELP x X.\n# TYPE x gauge\nx nana\n')).toThrow(/not a number/);
  });

  it.each([
    ['a sample without # TYPE', '# HELP x X.\nx 1\n', /no # TYPE/],
    ['a family without # HELP', '# TYPE x gauge\nx 1\n', /no # HELP/],
    ['a value that is not a number', '# HELP x X.\n# TYPE x gauge\nx one\n', /not a number/],
    ['an unquoted label', '# HELP x X.\n# TYPE x gauge\nx{a=b} 1\n', /not quoted/],
    ['an unclosed label', '# HELP x X.\n# TYPE x gauge\nx{a="b} 1\n', /not closed/],
    ['a bad escape', '# HELP x X.\n# TYPE x gauge\nx{a="\\t"} 1\n', /unknown escape/],
    ['a label twice', '# HELP x X.\n# TYPE x gauge\nx{a="1",a="2"} 1\n', /twice/],
    ['the same series twice', '# HELP x X.\n# TYPE x gauge\nx 1\nx 2\n', /twice/],
    ['something after the timestamp', '# HELP x X.\n# TYPE x gauge\nx 1 2 3\n', /only a value/],
    ['an unknown type', '# HELP x X.\n# TYPE x meter\nx 1\n', /not a metric type/],
    ['a family split in two', '# HELP x X.\n# TYPE x gauge\n# HELP y Y.\n# TYPE y gauge\ny 1\nx 1\n', /not together/],
    ['a histogram without +Inf', '# HELP h H.\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n', /\+Inf/],
    [
      'a histogram whose count is not its last bucket',
      '# HELP h H.\n# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n',
      /_count/,
    ],
  ])('refuses %s', (_, text, problem) => {
    expect(() => parsePrometheusText(text)).toThrow(problem);
  });
});
