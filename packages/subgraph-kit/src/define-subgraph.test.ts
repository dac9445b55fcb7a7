import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '@bookshop/runtime';
import { testCredentialEnv } from '@bookshop/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSubgraph } from './define-subgraph.js';

const schemaFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'kit-')), 'schema.graphql');
writeFileSync(schemaFile, 'type Query { hello: String }\n');

/** A declaration whose start is never reached: these checks read the configuration only. */
const declared = (context: 'review' | 'order', extra: { callsServices?: string } = {}) =>
  defineSubgraph({
    context,
    schema: pathToFileURL(schemaFile),
    openDatabase: () => {
      throw new Error('not opened by readConfig');
    },
    settings: { GREETING_LIMIT: z.coerce.number().int().min(1).default(3) },
    ...extra,
    start: () => ({ resolvers: {} }),
  });

describe('a declared subgraph reads its configuration as its process does', () => {
  it("listens on its context's port unless PORT says otherwise, on its context's database", () => {
    const env = { ...testCredentialEnv('review'), DATA_DIR: '/var/shop' };
    expect(declared('review').readConfig(env)).toMatchObject({ port: 4004, databaseUrl: 'file:/var/shop/review.db' });
    expect(declared('review').readConfig({ ...env, PORT: '5999' }).port).toBe(5999);
    expect(declared('order').readConfig({ ...testCredentialEnv('order'), POSTGRES_URL: 'postgresql://db:5432/postgres' })).toMatchObject({
      port: 4002,
      databaseUrl: 'postgresql://db:5432/bookshop_order',
    });
  });

  it('validates its own settings with the shared ones, naming the variable that is wrong', () => {
    const env = testCredentialEnv('review');
    expect(declared('review').readConfig(env).settings).toEqual({ GREETING_LIMIT: 3 });
    expect(declared('review').readConfig({ ...env, GREETING_LIMIT: '7' }).settings).toEqual({ GREETING_LIMIT: 7 });
    expect(() => declared('review').readConfig({ ...env, GREETING_LIMIT: 'many' })).toThrow(ConfigError);
    expect(() => declared('review').readConfig({ ...env, GREETING_LIMIT: 'many' })).toThrow(/GREETING_LIMIT/);
  });

  it('refuses to configure a subgraph that calls other services without its own signing key', () => {
    const { SERVICE_SIGNING_KEY: _key, ...withoutKey } = testCredentialEnv('order');
    const caller = declared('order', { callsServices: 'it signs its calls to book' });
    expect(() => caller.readConfig(withoutKey)).toThrow(/SERVICE_SIGNING_KEY: must be set: it signs its calls to book/);
    expect(caller.readConfig(testCredentialEnv('order')).serviceKeys.signing).toBeDefined();
    expect(() => declared('order').readConfig(withoutKey)).not.toThrow();
  });
});
