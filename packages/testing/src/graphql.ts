import {
  SERVICE_TOKEN_HEADER,
  credentialEnv,
  serviceCredential,
  trustedKeysOf,
  serviceKeyFromSeed,
  signToken,
  type Role,
  type ServiceConfig,
  type ShopCredentials,
} from '@bookshop/runtime';

export interface GraphQLResult<TData = Record<string, any>> {
  status: number;
  headers: Headers;
  data?: TData | null;
  errors?: Array<{ message: string; extensions?: { code?: string; [key: string]: unknown } }>;
}

/** Sends one operation over real HTTP, as a client of the shop would. */
export async function graphql<TData = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: { token?: string; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<GraphQLResult<TData>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const body = (await response.json()) as Omit<GraphQLResult<TData>, 'status' | 'headers'>;
  return { status: response.status, headers: response.headers, ...body };
}

/** The codes of a result's errors, for exact assertions. */
export const errorCodes = (result: GraphQLResult<unknown>) => (result.errors ?? []).map((error) => error.extensions?.code);

/**
 * The credentials of every shop a test starts: fixed, so the test runner and the shop's processes
 * agree without passing keys around. Test-only: `pnpm start` makes its own per data folder.
 */
export const TEST_CREDENTIALS: ShopCredentials = {
  jwtSecret: 'bookshop-tests-only-users-secret-0123456789',
  signingKeys: {
    router: serviceKeyFromSeed('router', 'bookshop tests: router').privateKey,
    order: serviceKeyFromSeed('order', 'bookshop tests: order').privateKey,
  },
};
export const TEST_JWT_SECRET = TEST_CREDENTIALS.jwtSecret;
/** A service's credential variables with the test credentials (JWT_SECRET may be replaced, e.g. by a production-length one). */
export const testCredentialEnv = (service: string, jwtSecret = TEST_JWT_SECRET) =>
  credentialEnv({ ...TEST_CREDENTIALS, jwtSecret }, service);

export const tokenFor = (role: Role, subject: string, secret = TEST_JWT_SECRET) => signToken({ role, subject }, secret);

const routerCredential = serviceCredential(TEST_CREDENTIALS.signingKeys.router);
/** The header a test adds to speak to a subgraph as the router does (`_entities`). */
export const routerCredentialHeaders = async (): Promise<Record<string, string>> => ({ [SERVICE_TOKEN_HEADER]: await routerCredential() });

/** The settings of a service a test starts in its own process, with the test credentials. */
export function testServiceConfig(
  events: Pick<ServiceConfig['events'], 'url' | 'prefix' | 'stream'> & Partial<ServiceConfig['events']>,
): ServiceConfig {
  return {
    port: 0,
    host: '127.0.0.1',
    production: false,
    userTokens: { secrets: [TEST_JWT_SECRET] },
    serviceKeys: { trusted: trustedKeysOf(TEST_CREDENTIALS) },
    shutdownGraceMs: 1_000,
    shutdownDelayMs: 0,
    liveness: { maxEventLoopDelayMs: 3_000, stallWindowMs: 10_000 },
    events: { ackWaitMs: 30_000, batchSize: 64, batchLingerMs: 10, replicas: 1, ...events },
  };
}
