import { propagationHeaders } from './request-context.js';

export interface GraphQLResponse<TData> {
  data?: TData | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

/** A transport failure (connection refused, a non-GraphQL answer): the call's outcome is unknown. */
export class TransportError extends Error {
  override name = 'TransportError';
  /** The request never reached the server, so repeating it is safe even for non-idempotent calls. */
  readonly connectionRefused: boolean;

  constructor(message: string, options: { cause?: unknown; connectionRefused?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.connectionRefused = options.connectionRefused ?? false;
  }
}

const causeCode = (error: unknown) => ((error as { cause?: { code?: string } }).cause?.code ?? '');

/**
 * Posts one GraphQL operation to another service, carrying the current request's correlation id
 * and trace. Node's fetch keeps connections alive, so repeated calls reuse sockets.
 */
export async function postGraphQL<TData>(
  url: string,
  body: { query: string; variables?: Record<string, unknown>; operationName?: string },
  options: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<GraphQLResponse<TData>> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...propagationHeaders(), ...options.headers },
      body: JSON.stringify(body),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new TransportError(`could not reach ${url}: ${(error as Error).message}`, {
      cause: error,
      connectionRefused: causeCode(error) === 'ECONNREFUSED',
    });
  }
  const text = await response.text();
  try {
    return JSON.parse(text) as GraphQLResponse<TData>;
  } catch {
    throw new TransportError(`${url} answered ${response.status} with a body that is not GraphQL`);
  }
}
