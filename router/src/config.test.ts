import { testCredentialEnv } from '@bookshop/testing';
import { expect, it } from 'vitest';
import { routerConfig } from './config.js';
import { DEFAULT_OPERATION_LIMITS } from './operation-limits.js';

const env = testCredentialEnv('router');

it('enforces persisted operations by default in production only; ROUTER_PERSISTED_OPERATIONS says otherwise', () => {
  expect(routerConfig({ ...env, NODE_ENV: 'production' }).persistedOperations).toBe('enforce');
  expect(routerConfig({ ...env, NODE_ENV: 'development' }).persistedOperations).toBe('off');
  expect(routerConfig({ ...env, NODE_ENV: 'test' }).persistedOperations).toBe('off');
  expect(routerConfig({ ...env, NODE_ENV: 'production', ROUTER_PERSISTED_OPERATIONS: 'off' }).persistedOperations).toBe('off');
  expect(routerConfig({ ...env, ROUTER_PERSISTED_OPERATIONS: 'enforce' }).persistedOperations).toBe('enforce');
  expect(() => routerConfig({ ...env, ROUTER_PERSISTED_OPERATIONS: 'on' })).toThrow(/ROUTER_PERSISTED_OPERATIONS/);
});

it('reads each operation limit from its ROUTER_MAX_* variable, with the defaults otherwise', () => {
  expect(routerConfig(env).operationLimits).toEqual(DEFAULT_OPERATION_LIMITS);
  expect(
    routerConfig({
      ...env,
      ROUTER_MAX_DEPTH: '8',
      ROUTER_MAX_ALIASES: '0',
      ROUTER_MAX_ROOT_FIELDS: '3',
      ROUTER_MAX_COST: '1000',
      ROUTER_MAX_TOKENS: '500',
      ROUTER_MAX_DOCUMENT_BYTES: '4096',
    }).operationLimits,
  ).toEqual({ maxDepth: 8, maxAliases: 0, maxRootFields: 3, maxCost: 1000, maxTokens: 500, maxDocumentBytes: 4096 });
  expect(() => routerConfig({ ...env, ROUTER_MAX_DEPTH: '0' })).toThrow(/ROUTER_MAX_DEPTH/);
});

it('reads the bounds of its connections to a subgraph (at most 4), with the defaults otherwise', () => {
  expect(routerConfig(env).upstreamSockets).toEqual({ socketsPerSubgraph: 4, subscriptionsPerSocket: 5_000 });
  expect(
    routerConfig({ ...env, ROUTER_UPSTREAM_SOCKETS_PER_SUBGRAPH: '1', ROUTER_UPSTREAM_SUBSCRIPTIONS_PER_SOCKET: '200' }).upstreamSockets,
  ).toEqual({ socketsPerSubgraph: 1, subscriptionsPerSocket: 200 });
  expect(() => routerConfig({ ...env, ROUTER_UPSTREAM_SOCKETS_PER_SUBGRAPH: '5' })).toThrow(/ROUTER_UPSTREAM_SOCKETS_PER_SUBGRAPH/);
  // Past a subgraph's own bound for one relaying socket (10,000) the subgraph would refuse the rest.
  expect(() => routerConfig({ ...env, ROUTER_UPSTREAM_SUBSCRIPTIONS_PER_SOCKET: '10001' })).toThrow(
    /ROUTER_UPSTREAM_SUBSCRIPTIONS_PER_SOCKET/,
  );
});
