import { describe, expect, it } from 'vitest';
import { z } from 'zod';
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

const messageOf = (run: () => unknown) => {
  try {
    run();
    return 'ACCEPTED';
  } catch (error) {
    return (error as Error).message;
  }
};

const SINGLE_LINE = ['title', 'author', 'publisher', 'address'] as const;

describe('text bounds', () => {
  it('refuse a NUL byte or another control character with INVALID_INPUT (PostgreSQL would fail on NUL)', () => {
    expect(codeOf(() => parseInput(bounds.address, '1 Main St\u0000'))).toBe('INVALID_INPUT');
    expect(codeOf(() => parseInput(bounds.title, 'Du\u0007ne'))).toBe('INVALID_INPUT');
  });

  it.each([
    ['NUL', '\u0000'],
    ['ESC', '\u001b'],
    ['DEL', '\u007f'],
    ['a C1 control', '\u0085'],
    ['a C1 control (CSI)', '\u009b'],
    ['a tab', '\t'],
    ['a line break', '\n'],
    ['a carriage return', '\r'],
    ['the line separator', '\u2028'],
  ])('refuse %s inside any single-line text', (_, character) => {
    for (const field of SINGLE_LINE) {
      expect(
        codeOf(() => parseInput(bounds[field], `Du${character}ne`)),
        field,
      ).toBe('INVALID_INPUT');
    }
  });

  it.each([
    ['a zero-width space', '\u200b'],
    ['a zero-width non-joiner', '\u200c'],
    ['a zero-width joiner', '\u200d'],
    ['a byte order mark', '\ufeff'],
    ['a soft hyphen', '\u00ad'],
    ['a left-to-right embedding', '\u202a'],
    ['a right-to-left override', '\u202e'],
    ['a left-to-right isolate', '\u2066'],
    ['a pop directional isolate', '\u2069'],
    ['a word joiner', '\u2060'],
    ['a tag character', '\u{e0041}'],
  ])('refuse %s anywhere in every text, review content included', (_, character) => {
    for (const field of [...SINGLE_LINE, 'reviewContent'] as const) {
      for (const text of [`Du${character}ne`, `Dune${character}`, `${character}Dune`]) {
        expect(
          codeOf(() => parseInput(bounds[field], text)),
          `${field} ${JSON.stringify(text)}`,
        ).toBe('INVALID_INPUT');
      }
    }
  });

  it('refuse an unpaired surrogate (not valid Unicode) and control characters in review content', () => {
    expect(codeOf(() => parseInput(bounds.title, 'Dune \ud800'))).toBe('INVALID_INPUT');
    expect(codeOf(() => parseInput(bounds.reviewContent, 'Fine\udc00 book'))).toBe('INVALID_INPUT');
    expect(codeOf(() => parseInput(bounds.reviewContent, 'Fine\u0000 book'))).toBe('INVALID_INPUT');
    expect(codeOf(() => parseInput(bounds.reviewContent, 'Fine\u001b[31m book'))).toBe('INVALID_INPUT');
  });

  it('name the field and the character in the refusal', () => {
    const input = z.object({ title: bounds.title, address: bounds.address });
    expect(messageOf(() => parseInput(input, { title: 'Dune\u202e', address: 'x' }))).toContain(
      'title: must not contain an invisible formatting character (U+202E)',
    );
    expect(messageOf(() => parseInput(input, { title: 'Dune', address: '1 Main St\u0000' }))).toContain(
      'address: must not contain a control character (U+0000)',
    );
  });

  it('keep line breaks and tabs where text may have them, with one kind of line break', () => {
    expect(parseInput(bounds.reviewContent, 'Great.\nWould read again.\tTruly')).toBe('Great.\nWould read again.\tTruly');
    expect(parseInput(bounds.reviewContent, 'Great.\r\nAgain.\rTruly')).toBe('Great.\nAgain.\nTruly');
  });

  it('refuse a title of invisible characters only', () => {
    expect(codeOf(() => parseInput(bounds.title, '\u200b'))).toBe('INVALID_INPUT');
    expect(codeOf(() => parseInput(bounds.title, ' \ufeff\u200d '))).toBe('INVALID_INPUT');
    expect(codeOf(() => parseInput(bounds.title, ' \u3000\u00a0 '))).toBe('INVALID_INPUT');
  });

  it('refuse a look-alike title with an invisible character rather than store it as another title', () => {
    expect(codeOf(() => parseInput(bounds.title, 'Dune\u200b'))).toBe('INVALID_INPUT');
  });

  it('trim whitespace (also no-break and ideographic spaces) and store NFC', () => {
    expect(parseInput(bounds.title, '  Dune ')).toBe('Dune');
    expect(parseInput(bounds.title, '\u00a0Dune\u3000\n')).toBe('Dune');
    expect(parseInput(bounds.title, 'Cafe\u0301')).toBe('Caf\u00e9');
  });

  it('accept any script, emoji and combining marks', () => {
    for (const text of ['Война и мир', '百年の孤独', 'مئة عام من العزلة', 'Ǹ̸̢ö', '📚 👍🏽 ❤️', 'Dune 𝔇']) {
      expect(
        codeOf(() => parseInput(bounds.title, text)),
        text,
      ).toBe('ACCEPTED');
    }
  });

  it('count the length after normalising', () => {
    expect(codeOf(() => parseInput(bounds.title, `${'a'.repeat(200)}  `))).toBe('ACCEPTED');
    expect(codeOf(() => parseInput(bounds.title, 'a'.repeat(201)))).toBe('INVALID_INPUT');
  });

  it('count characters as code points, as PostgreSQL does, not UTF-16 units', () => {
    // '🙂' is two UTF-16 units in JavaScript and one character in a text column.
    expect(codeOf(() => parseInput(bounds.publisher, '🙂'.repeat(200)))).toBe('ACCEPTED');
    expect(codeOf(() => parseInput(bounds.publisher, '🙂'.repeat(201)))).toBe('INVALID_INPUT');
    expect(codeOf(() => parseInput(bounds.idempotencyKey, '🙂'.repeat(200)))).toBe('ACCEPTED');
    expect(codeOf(() => parseInput(bounds.idempotencyKey, '🙂'.repeat(201)))).toBe('INVALID_INPUT');
  });
});

describe('idempotency key bounds', () => {
  it('refuse a NUL byte, an invisible character or an unpaired surrogate, and keep the key as sent otherwise', () => {
    expect(codeOf(() => parseInput(bounds.idempotencyKey, 'key\u0000'))).toBe('INVALID_INPUT');
    expect(codeOf(() => parseInput(bounds.idempotencyKey, 'key\u200b'))).toBe('INVALID_INPUT');
    expect(codeOf(() => parseInput(bounds.idempotencyKey, 'key\ud800'))).toBe('INVALID_INPUT');
    expect(parseInput(bounds.idempotencyKey, ' key ')).toBe(' key ');
  });
});
