import { describe, expect, it } from 'vitest';
import { batched, groupBy } from './batch.js';

describe('batched lookups', () => {
  it('answers lookups made in the same turn with one call for their distinct keys, each with its own value', async () => {
    const calls: number[][] = [];
    const square = batched(async (keys: number[]) => {
      calls.push(keys);
      return new Map(keys.filter((key) => key !== 3).map((key) => [key, key * key]));
    });
    const answers = await Promise.all([square(1), square(2), square(2), square(3)]);
    expect(answers).toEqual([1, 4, 4, undefined]);
    expect(calls).toEqual([[1, 2, 3]]);
    expect(await square(5)).toBe(25); // a later turn is a new batch
    expect(calls).toHaveLength(2);
  });

  it('rejects every lookup of a batch whose load failed', async () => {
    const failing = batched(async () => {
      throw new Error('database away');
    });
    await expect(Promise.all([failing('a'), failing('b')])).rejects.toThrow('database away');
  });

  it('groups rows by key, keeping their order', () => {
    expect(
      groupBy(
        [
          { k: 'a', n: 1 },
          { k: 'b', n: 2 },
          { k: 'a', n: 3 },
        ],
        (row) => row.k,
      ),
    ).toEqual(
      new Map([
        [
          'a',
          [
            { k: 'a', n: 1 },
            { k: 'a', n: 3 },
          ],
        ],
        ['b', [{ k: 'b', n: 2 }]],
      ]),
    );
  });
});
