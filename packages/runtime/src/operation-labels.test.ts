import { describe, expect, it } from 'vitest';
import { OperationLabels } from './operation-labels.js';

describe('operation names as metric labels', () => {
  it('keeps the first 50 distinct names, and the 51st distinct name becomes "other"', () => {
    const labels = new OperationLabels(50);
    const names = Array.from({ length: 50 }, (_, index) => `Operation${index}`);
    expect(names.map((name) => labels.labelOf(name))).toEqual(names);
    expect(labels.labelOf('Operation50')).toBe('other');
    expect(labels.labelOf('YetAnother')).toBe('other');
    // A name seen before the bound keeps its own label for good.
    expect(labels.labelOf('Operation0')).toBe('Operation0');
    expect(labels.labelOf('Operation49')).toBe('Operation49');
  });

  it('labels an operation without a name "anonymous", and one that is no GraphQL name "other" without taking a place', () => {
    const labels = new OperationLabels(1);
    expect(labels.labelOf(undefined)).toBe('anonymous');
    expect(labels.labelOf(null)).toBe('anonymous');
    expect(labels.labelOf('')).toBe('anonymous');
    expect(labels.labelOf('order 0191-…')).toBe('other');
    expect(labels.labelOf('x'.repeat(101))).toBe('other');
    expect(labels.labelOf('PlaceOrder')).toBe('PlaceOrder');
    expect(labels.labelOf('CancelOrder')).toBe('other');
  });
});
