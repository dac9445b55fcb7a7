import type { ApolloServerPlugin } from '@apollo/server';
import type { EdgeOptions, ServiceContext } from '@bookshop/runtime';
import type { GraphQLError } from 'graphql';
import { refuseOversizedDocument } from './document-size.js';
import { operationLimitsRule, type OperationLimits } from './operation-limits.js';
import { notRegistered, PersistedOperations, type PersistedOperationsMode } from './persisted-operations.js';

export interface EdgeSettings {
  limits: OperationLimits;
  persistedOperations: PersistedOperationsMode;
  /** No introspection and no schema details ("Did you mean …?") in errors. */
  production: boolean;
}

export interface RouterEdge {
  /** For startGraphQLService: the limits as validation rules and the gate, for HTTP and WebSocket. */
  edge: EdgeOptions;
  /** Runs registered operations sent by their hash alone (HTTP). */
  plugin: ApolloServerPlugin<ServiceContext>;
}

/**
 * What the router enforces on every client operation before the gateway plans it. The gate
 * (registered operations, then size) reads the text only; the limits are validation rules, so
 * a refused operation costs a parse at most and no subgraph ever sees it.
 */
export function routerEdge(settings: EdgeSettings, registered: PersistedOperations = PersistedOperations.load()): RouterEdge {
  const enforced = settings.persistedOperations === 'enforce';
  const admitOperation = (query: string): GraphQLError | undefined => {
    if (enforced && !registered.isRegistered(query)) return notRegistered();
    return refuseOversizedDocument(query, settings.limits);
  };
  return {
    edge: { validationRules: [operationLimitsRule(settings.limits)], admitOperation, production: settings.production },
    plugin: {
      async requestDidStart({ request }) {
        // A registered operation sent by its hash alone (Apollo's persisted-query protocol) gets
        // its text here; Apollo then checks the hash against it as for any persisted query. An
        // unknown hash is Apollo's PERSISTED_QUERY_NOT_FOUND: the client sends the text next,
        // which the gate refuses unless it is registered.
        const hash: unknown = request.extensions?.persistedQuery?.sha256Hash;
        if (request.query === undefined && typeof hash === 'string') {
          const body = registered.bodyOf(hash);
          if (body !== undefined) request.query = body;
        }
      },
    },
  };
}
