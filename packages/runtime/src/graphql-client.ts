import { Agent, request, type Dispatcher } from 'undici';
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

/** One keep-alive pool per origin for every service-to-service call of this process. */
const agent = new Agent({ connections: 64 });

/**
 * Posts one GraphQL operation to another service, carrying the current request's correlation id
 * and trace, on a keep-alive connection. undici's `request` rather than fetch: fetch's WHATWG
 * streams and Request/Response objects cost more CPU than the rest of a short call.
 */
export async function postGraphQL<TData>(
  url: string,
  body: { query: string; variables?: Record<string, unknown>; operationName?: string },
  options: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<GraphQLResponse<TData>> {
  let response: Dispatcher.ResponseData;
  try {
    response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...propagationHeaders(), ...options.headers },
      body: JSON.stringify(body),
      dispatcher: agent,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new TransportError(`could not reach ${url}: ${(error as Error).message}`, {
      cause: error,
      connectionRefused: (error as { code?: string }).code === 'ECONNREFUSED',
    });
  }
  let text: string;
  try {
    text = await response.body.text();
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new TransportError(`${url} broke off its answer: ${(error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text) as GraphQLResponse<TData>;
  } catch {
    throw new TransportError(`${url} answered ${response.statusCode} with a body that is not GraphQL`);
  }
}
