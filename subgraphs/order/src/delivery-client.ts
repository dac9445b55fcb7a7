import { ExponentialBackoff, TimeoutStrategy, handleWhen, retry, timeout, wrap } from 'cockatiel';
import { DomainError, TransportError } from '@bookshop/runtime';
import type { ShipmentStop, Shipments } from './domain/shipments.js';
import { refusedByPolicy, subgraphCaller, transportBreaker } from './remote-subgraph.js';

export interface DeliveryClientOptions {
  /** The delivery subgraph's own URL: the call does not go through the router. */
  deliveryUrl: string;
  token: () => Promise<string>;
  /** One budget for the whole call, retries included. */
  timeoutMs?: number;
  breakerThreshold?: number;
  breakerHalfOpenAfterMs?: number;
}

const STOP = `mutation StopShipment($orderId: ID!, $address: String!) {
  stopShipment(orderId: $orderId, address: $address) { status }
}`;

const RETRY_AFTER_SECONDS = 2;

/**
 * order → delivery, to ask whether a shipment can still be stopped, through one cockatiel policy:
 * circuit breaker → timeout (one budget) → retry (connection refused only; stopping is idempotent
 * by order id). Whatever goes wrong — breaker open, no answer in time, a lost connection — the
 * customer gets SERVICE_UNAVAILABLE and order changes nothing; a stop that did happen announces
 * itself with DeliveryCancelled, which order applies.
 */
export function createDeliveryClient(options: DeliveryClientOptions): Shipments {
  const halfOpenAfterMs = options.breakerHalfOpenAfterMs ?? 5_000;
  const breaker = transportBreaker('delivery', { threshold: options.breakerThreshold ?? 5, halfOpenAfterMs });
  const policy = wrap(
    breaker,
    timeout(options.timeoutMs ?? 1_000, TimeoutStrategy.Aggressive),
    retry(
      handleWhen((error) => error instanceof TransportError && error.connectionRefused),
      {
        maxAttempts: 2,
        backoff: new ExponentialBackoff({ initialDelay: 25, maxDelay: 100 }),
      },
    ),
  );
  const delivery = subgraphCaller({ url: options.deliveryUrl, token: options.token, businessCodes: [] });

  return {
    async stop(order) {
      let shipment: { status: 'PREPARING' | 'DELIVERED' | 'CANCELLED' };
      try {
        shipment = await delivery.call(policy, STOP, order, 'stopShipment');
      } catch (error) {
        throw (
          refusedByPolicy(
            error,
            {
              breakerOpen:
                'Cancelling is paused for a moment: delivery is not answering. Your order is unchanged; please try again shortly.',
            },
            halfOpenAfterMs,
          ) ??
          new DomainError(
            'SERVICE_UNAVAILABLE',
            'Delivery did not confirm the cancel in time. Your order is unchanged for now; please try again.',
            {
              retryAfterSeconds: RETRY_AFTER_SECONDS,
            },
          )
        );
      }
      return stopOutcome(shipment.status);
    },
  };
}

/** Delivery answers with the shipment as it now is: cancelled means stopped, delivered means too late. */
function stopOutcome(status: 'PREPARING' | 'DELIVERED' | 'CANCELLED'): ShipmentStop {
  if (status === 'CANCELLED') return 'STOPPED';
  if (status === 'DELIVERED') return 'DELIVERED';
  throw new DomainError('SERVICE_UNAVAILABLE', 'Delivery answered the cancel without deciding it. Please try again.', {
    retryAfterSeconds: RETRY_AFTER_SECONDS,
  });
}
