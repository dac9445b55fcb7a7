import { describe, expect, it } from 'vitest';
import { bounds } from './bounds.js';
import { parseInput } from './input.js';

const codeOf = (run: () => unknown) => {
  try {
    run();
    return 'ACCEPTED';
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('text bounds', () => {
  it('refuse a NUL byte or another control character with INVALID_INPUT (PostgreSQL would fail on NUL)', () => {
    expect(codeOf(() => parseInput(bounds.address, '1 Main St\u0000'))).toBe('INVALID_INPUT');
    expect(codeOf(() => parseInput(bounds.title, 'Du\u0007ne'))).toBe('INVALID_INPUT');
  });

  it('keep line breaks and tabs where text may have them', () => {
    expect(parseInput(bounds.reviewContent, 'Great.\nWould read again.\tTruly')).toBe('Great.\nWould read again.\tTruly');
  });

  it('refuse a title of invisible characters only as empty', () => {
    expect(codeOf(() => parseInput(bounds.title, '\u200b'))).toBe('INVALID_INPUT');
    expect(codeOf(() => parseInput(bounds.title, ' \ufeff\u200d '))).toBe('INVALID_INPUT');
  });

  it('store a look-alike title as the title it looks like (invisible edges trimmed, NFC), so it cannot duplicate it', () => {
    expect(parseInput(bounds.title, 'Dune\u200b')).toBe('Dune');
    expect(parseInput(bounds.title, '  Dune ')).toBe('Dune');
    expect(parseInput(bounds.title, 'Cafe\u0301')).toBe('Caf\u00e9');
  });

  it('count the length after normalising', () => {
    expect(codeOf(() => parseInput(bounds.title, `${'a'.repeat(200)}\u200b`))).toBe('ACCEPTED');
    expect(codeOf(() => parseInput(bounds.title, 'a'.repeat(201)))).toBe('INVALID_INPUT');
  });
});
