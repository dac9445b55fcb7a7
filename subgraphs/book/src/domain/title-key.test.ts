import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { dropDatabase, ensureDatabase } from '@bookshop/prisma';
import { TEST_POSTGRES_URL, queryRows } from '@bookshop/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { titleKey } from './title-key.js';

describe('titleKey', () => {
  it('is one key for look-alikes of a title', () => {
    const key = titleKey('Dune Messiah');
    for (const lookAlike of ['Ｄｕｎｅ\u3000Ｍｅｓｓｉａｈ', 'DUNE MESSIAH', 'dune  messiah', 'Dune\u00a0Messiah', 'Dune\tMessiah']) {
      expect(titleKey(lookAlike), JSON.stringify(lookAlike)).toBe(key);
    }
    expect(titleKey('\ufb01re')).toBe(titleKey('fire'));
  });

  it('keeps different titles apart, in any script', () => {
    expect(titleKey('Dune')).not.toBe(titleKey('Dunes'));
    expect(titleKey('Война и мир')).toBe('война и мир');
    expect(titleKey('百年の孤独')).toBe('百年の孤独');
  });
});

describe('the title_key migration', () => {
  const migrations = new URL('../../../../prisma/book/migrations/', import.meta.url);
  const name = `test_book_title_key_${randomBytes(4).toString('hex')}`;
  afterAll(() => dropDatabase(TEST_POSTGRES_URL, name));

  it('gives books registered before it the key the service computes', async () => {
    const url = await ensureDatabase(TEST_POSTGRES_URL, name);
    const folders = readdirSync(migrations)
      .filter((folder) => /^\d+_/.test(folder))
      .sort();
    const index = folders.indexOf('20261130000000_title_key');
    const apply = (folder: string) => queryRows(url, readFileSync(new URL(`${folder}/migration.sql`, migrations), 'utf8'));
    for (const folder of folders.slice(0, index)) await apply(folder);
    const titles = ['Dune', 'Ｈｅｒｅｔｉｃｓ\u3000of Dune', 'CHAPTERHOUSE  Dune', 'Война и мир', 'Ästhetik der Straße', '\ufb01re'];
    for (const [i, title] of titles.entries()) {
      await queryRows(url, `INSERT INTO "Book" (id, title, author, publisher, stock) VALUES (gen_random_uuid(), $1, 'A', 'P', $2)`, [
        title,
        i,
      ]);
    }
    await apply(folders[index]!);
    const rows = await queryRows<{ title: string; titleKey: string }>(url, `SELECT title, "titleKey" FROM "Book"`);
    expect(Object.fromEntries(rows.map((row) => [row.title, row.titleKey]))).toEqual(
      Object.fromEntries(titles.map((title) => [title, titleKey(title)])),
    );
  });
});
