import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { METRICS } from './metric-catalogue.js';
import { counter, histogram } from './metrics.js';
import { OperationLabels } from './operation-labels.js';

/**
 * Rate, errors and latency of the GraphQL operations a service answers over HTTP, by operation
 * name (bounded: OperationLabels). An operation counts as an error when its answer carries any
 * error, a refusal included: an alert on a rising share of errors wants both. Requests refused
 * before Apollo sees them (shed, a body too large, an unregistered operation at the edge) are
 * counted by bookshop_http_responses_total only.
 */
export function graphqlMetricsPlugin<Context extends BaseContext>(operations = new OperationLabels()): ApolloServerPlugin<Context> {
  const requests = counter(METRICS.graphqlRequests);
  const duration = histogram(METRICS.graphqlRequestDuration);
  return {
    requestDidStart: async () => {
      const started = performance.now();
      return {
        willSendResponse: async ({ operationName, request, response, errors }) => {
          // The name of the operation run, once resolved; before that (a parse error) the one asked for.
          const operation = operations.labelOf(operationName ?? request.operationName);
          const body = response.body;
          const failed = Boolean(errors?.length) || (body.kind === 'single' && Boolean(body.singleResult.errors?.length));
          requests.inc({ operation, outcome: failed ? 'error' : 'ok' });
          duration.observe({ operation }, (performance.now() - started) / 1_000);
        },
      };
    },
  };
}
