import { describe, expect, it } from 'vitest';
import { uuidv7 } from './uuid7.js';

describe('uuidv7', () => {
  it('is a version-7 UUID of the RFC variant that carries its millisecond', () => {
    const id = uuidv7(0x0189_abcd_ef01);
    expect(id).toMatch(/^0189abcd-ef01-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('sorts by creation time across milliseconds, and never repeats', () => {
    const ids = Array.from({ length: 1_000 }, (_, n) => uuidv7(1_700_000_000_000 + n));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(Array.from({ length: 10_000 }, () => uuidv7())).size).toBe(10_000);
  });
});
