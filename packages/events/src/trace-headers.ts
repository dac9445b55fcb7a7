import { headers, type MsgHdrs } from '@nats-io/transport-node';

/** The NATS headers that carry a trace to the consumers of a message (W3C `traceparent`). */
export function traceHeaders(traceparent: string): MsgHdrs {
  const h = headers();
  h.set('traceparent', traceparent);
  return h;
}

/** The trace a message continues: its header (the publish span), else the one its envelope recorded. */
export function traceparentOfMessage(messageHeaders: MsgHdrs | undefined, envelopeTraceparent: string | null): string | null {
  return messageHeaders?.get('traceparent') || envelopeTraceparent;
}

const TRACEPARENT = /"traceparent":"([\w-]{55})"/;

/** The traceparent an outbox row's envelope (JSON text) recorded, without parsing the whole event. */
export function traceparentOf(envelope: string): string | null {
  return TRACEPARENT.exec(envelope)?.[1] ?? null;
}
