import { DEVELOPMENT_JWT_SECRET, signToken, type Role } from '@bookshop/runtime';

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

export const tokenFor = (role: Role, subject: string, secret = DEVELOPMENT_JWT_SECRET) =>
  signToken({ role, subject }, secret);
