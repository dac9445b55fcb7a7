import { ROUTER_PORT, type ContextName } from '@bookshop/contexts';
import { readServiceEnv, requireSigningKey, type PrivateServiceKey, type ServiceConfig } from '@bookshop/runtime';
import { z } from 'zod';
import { DEFAULT_OPERATION_LIMITS, type OperationLimits } from './operation-limits.js';
import type { PersistedOperationsMode } from './persisted-operations.js';
import { subgraphUrlOverrides } from './subgraphs.js';
import type { UpstreamSocketLimits } from './upstream-sockets.js';

export interface RouterConfig extends ServiceConfig {
  subgraphUrls: Partial<Record<ContextName, string>>;
  /** The router's own key: its entity fetches carry a credential signed with it. */
  signingKey: PrivateServiceKey;
  /** Apollo Sandbox on the landing page: development only. */
  sandbox: boolean;
  /** Load shedding: operations in flight at once, overall and per client. */
  maxInFlight: number;
  maxInFlightPerClient: number;
  /**
   * Behind a proxy (the cluster's ingress), anonymous clients are told apart by the address it adds
   * to x-forwarded-for, not by the proxy's own: otherwise one slow client takes everyone's share.
   */
  trustForwardedFor: boolean;
  /** Live sockets one caller (a token's subject) may hold, and subscriptions across them. */
  maxSocketsPerCaller: number;
  maxSubscriptionsPerCaller: number;
  /**
   * The graphql-ws connections to a subgraph that carry every caller's live feeds (spread evenly):
   * at most this many (1–4), each with at most this many subscriptions — within the subgraphs' own
   * bound for a relaying socket (10,000).
   */
  upstreamSockets: UpstreamSocketLimits;
  /** A subgraph that does not answer within this long answers SERVICE_UNAVAILABLE (queries and subscription events). */
  subgraphTimeoutMs: number;
  /** How big an operation a client may send (ROUTER_MAX_*). */
  operationLimits: OperationLimits;
  /** `enforce`: only the operations in persisted-operations.json run (the default in production). */
  persistedOperations: PersistedOperationsMode;
}

const limit = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

export function routerConfig(env: NodeJS.ProcessEnv = process.env): RouterConfig {
  const { env: own, ...shared } = readServiceEnv(
    ROUTER_PORT,
    {
      ROUTER_PORT: z.coerce.number().int().min(0).max(65535).optional(),
      ROUTER_MAX_IN_FLIGHT: z.coerce.number().int().min(1).default(1_024),
      ROUTER_MAX_IN_FLIGHT_PER_CLIENT: z.coerce.number().int().min(1).default(128),
      ROUTER_SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
      ROUTER_TRUST_FORWARDED_FOR: z.enum(['true', 'false']).default('false'),
      ROUTER_MAX_SOCKETS_PER_CALLER: z.coerce.number().int().min(1).default(8),
      ROUTER_MAX_SUBSCRIPTIONS_PER_CALLER: z.coerce.number().int().min(1).default(100),
      ROUTER_UPSTREAM_SOCKETS_PER_SUBGRAPH: z.coerce.number().int().min(1).max(4).default(4),
      ROUTER_UPSTREAM_SUBSCRIPTIONS_PER_SOCKET: z.coerce.number().int().min(1).max(10_000).default(5_000),
      ROUTER_MAX_DEPTH: limit(DEFAULT_OPERATION_LIMITS.maxDepth),
      ROUTER_MAX_ALIASES: z.coerce.number().int().min(0).default(DEFAULT_OPERATION_LIMITS.maxAliases),
      ROUTER_MAX_ROOT_FIELDS: limit(DEFAULT_OPERATION_LIMITS.maxRootFields),
      ROUTER_MAX_COST: limit(DEFAULT_OPERATION_LIMITS.maxCost),
      ROUTER_MAX_TOKENS: limit(DEFAULT_OPERATION_LIMITS.maxTokens),
      ROUTER_MAX_DOCUMENT_BYTES: limit(DEFAULT_OPERATION_LIMITS.maxDocumentBytes),
      ROUTER_PERSISTED_OPERATIONS: z.enum(['off', 'enforce']).optional(),
    },
    env,
  );
  return {
    ...shared,
    signingKey: requireSigningKey(shared, 'the router signs its calls to the subgraphs with it'),
    port: own.ROUTER_PORT ?? shared.port,
    subgraphUrls: subgraphUrlOverrides(env),
    sandbox: !shared.production,
    maxInFlight: own.ROUTER_MAX_IN_FLIGHT,
    maxInFlightPerClient: own.ROUTER_MAX_IN_FLIGHT_PER_CLIENT,
    trustForwardedFor: own.ROUTER_TRUST_FORWARDED_FOR === 'true',
    maxSocketsPerCaller: own.ROUTER_MAX_SOCKETS_PER_CALLER,
    maxSubscriptionsPerCaller: own.ROUTER_MAX_SUBSCRIPTIONS_PER_CALLER,
    upstreamSockets: {
      socketsPerSubgraph: own.ROUTER_UPSTREAM_SOCKETS_PER_SUBGRAPH,
      subscriptionsPerSocket: own.ROUTER_UPSTREAM_SUBSCRIPTIONS_PER_SOCKET,
    },
    subgraphTimeoutMs: own.ROUTER_SUBGRAPH_TIMEOUT_MS,
    operationLimits: {
      maxDepth: own.ROUTER_MAX_DEPTH,
      maxAliases: own.ROUTER_MAX_ALIASES,
      maxRootFields: own.ROUTER_MAX_ROOT_FIELDS,
      maxCost: own.ROUTER_MAX_COST,
      maxTokens: own.ROUTER_MAX_TOKENS,
      maxDocumentBytes: own.ROUTER_MAX_DOCUMENT_BYTES,
    },
    persistedOperations: own.ROUTER_PERSISTED_OPERATIONS ?? (shared.production ? 'enforce' : 'off'),
  };
}
