import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { Agent, request } from 'undici';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherResponse = Awaited<ReturnType<Fetcher>>;
type FetcherHeaders = FetcherResponse['headers'];

/**
 * Response headers as the gateway reads them: it only ever calls `get` (for Content-Type), so
 * undici's raw object is read on demand rather than copied for every response.
 */
function headersOf(raw: Record<string, string | string[] | undefined>): FetcherHeaders {
  const get = (name: string) => {
    const value = raw[name.toLowerCase()];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  };
  const all = () => new Map(Object.keys(raw).flatMap((name) => (get(name) === null ? [] : [[name, get(name)!] as [string, string]])));
  const readOnly = () => {
    throw new Error('subgraph response headers are read-only');
  };
  return {
    get,
    has: (name) => get(name) !== null,
    append: readOnly,
    delete: readOnly,
    set: readOnly,
    entries: () => all().entries(),
    keys: () => all().keys(),
    values: () => all().values(),
    [Symbol.iterator]: () => all().entries(),
  };
}

/**
 * The router's HTTP client to its subgraphs: undici's `request` on a keep-alive pool per subgraph.
 * The gateway's default fetcher, and even Node's own fetch (WHATWG streams, a Request and a
 * Response object per call), cost more CPU than the rest of the router's work on a simple query.
 */
export type SubgraphFetcher = Fetcher & { close: () => Promise<void> };

export interface SubgraphFetcherOptions {
  /**
   * How long a subgraph may take to accept the connection, to start its answer, and between two
   * parts of it (undici's connect, headers and body timeouts), for queries and subscription events
   * alike. Without it a frozen subgraph holds a request for undici's 300 s.
   */
  timeoutMs: number;
}

export function createSubgraphFetcher({ timeoutMs }: SubgraphFetcherOptions): SubgraphFetcher {
  // Keep-alive follows each subgraph's own Keep-Alive hint (undici's default).
  const dispatcher = new Agent({ connections: 128, connect: { timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const fetcher = async (url: string, init: Parameters<Fetcher>[1] = {}): Promise<FetcherResponse> => {
    const response = await request(url, {
      method: (init.method ?? 'POST') as 'POST',
      headers: init.headers ?? {},
      body: init.body ?? null,
      dispatcher,
      ...(init.signal ? { signal: init.signal } : {}),
    });
    let bodyUsed = false;
    const consume = <T>(read: () => Promise<T>) => {
      bodyUsed = true;
      return read();
    };
    return {
      url,
      status: response.statusCode,
      ok: response.statusCode >= 200 && response.statusCode < 300,
      statusText: '',
      redirected: false,
      get bodyUsed() {
        return bodyUsed;
      },
      headers: headersOf(response.headers),
      text: () => consume(() => response.body.text()),
      json: () => consume(() => response.body.json()),
      arrayBuffer: () => consume(() => response.body.arrayBuffer()),
      clone: () => {
        throw new Error('subgraph responses are read once');
      },
    };
  };
  return Object.assign(fetcher, { close: () => dispatcher.close() });
}
