import { DomainError } from '@bookshop/runtime';

/**
 * The key titles are compared by, so a look-alike cannot be a second book and bookByTitle finds a
 * book however its title was typed: NFKC (fullwidth "Ｄｕｎｅ", ligatures, superscripts and odd
 * spaces become their plain form), every run of whitespace one space, lower case. The migration
 * 20261130000000_title_key computes the same in SQL for books registered before it.
 */
export const titleKey = (title: string) => title.normalize('NFKC').replace(/\s+/gu, ' ').toLowerCase();

/**
 * A unique key is a B-tree entry, and PostgreSQL refuses entries over ~2,700 bytes (compressed). A
 * 200-character title is far below that, but NFKC expands a few characters up to 18-fold ("ﷺ"):
 * a title whose key could come near the limit is refused as an input error, never left to fail in
 * the database.
 */
const MAX_KEY_BYTES = 2_000;

/** The key of a title about to be stored. */
export function storableTitleKey(title: string): string {
  const key = titleKey(title);
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new DomainError('INVALID_INPUT', 'Invalid input — title: is too long once its characters are spelt out (NFKC).', {
      fields: ['title'],
    });
  }
  return key;
}
