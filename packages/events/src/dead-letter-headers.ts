import { headers, type MsgHdrs } from '@nats-io/transport-node';

/** The headers a parked message carries: why it was parked, and where it was published. */
export const DEAD_LETTER_HEADERS = { error: 'Bookshop-Error', subject: 'Bookshop-Subject' } as const;

/** The headers of a message parked for `reason`, first published on `subject`. */
export function deadLetterHeaders(reason: string, subject: string): MsgHdrs {
  const h = headers();
  h.set(DEAD_LETTER_HEADERS.error, reason.replace(/\s+/g, ' ').slice(0, 1_000)); // header values are one line
  h.set(DEAD_LETTER_HEADERS.subject, subject);
  return h;
}
