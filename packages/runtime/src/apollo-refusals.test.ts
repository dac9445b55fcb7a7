import { createHash } from 'node:crypto';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from './graphql-service.js';
import { startSubgraph } from './subgraph.js';

let service: RunningService;
beforeAll(async () => {
  service = await startSubgraph({
    name: 'test',
    port: 0,
    typeDefs: parse('type Query { hello: String }'),
    resolvers: { Query: { hello: () => 'hi' } },
    jwtSecret: 'a-test-secret-of-some-length',
    shutdownGraceMs: 500,
  });
});
afterAll(() => service.stop());

const post = async (body: unknown) => {
  const response = await fetch(service.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as { errors?: Array<{ message: string; extensions?: { code?: string } }> },
  };
};
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe("Apollo Server's own refusals of a malformed request", () => {
  it('a persisted query whose hash does not match its text: 400 BAD_REQUEST saying so, not INTERNAL_SERVER_ERROR', async () => {
    const answer = await post({ query: '{ hello }', extensions: { persistedQuery: { version: 1, sha256Hash: 'b'.repeat(64) } } });
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([{ message: 'provided sha does not match query', extensions: { code: 'BAD_REQUEST' } }]);
  });

  it('an unsupported persisted query version: 400 BAD_REQUEST', async () => {
    const answer = await post({ query: '{ hello }', extensions: { persistedQuery: { version: 2, sha256Hash: sha256('{ hello }') } } });
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_REQUEST']);
  });

  it('a matching persisted query still runs', async () => {
    const answer = await post({ query: '{ hello }', extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ hello }') } } });
    expect(answer).toMatchObject({ status: 200, body: { data: { hello: 'hi' } } });
  });
});
