import type { TestShop } from '@bookshop/e2e/shop';
import { createClient, type Client, type ClientOptions } from 'graphql-ws';
import WebSocket from 'ws';

/** A graphql-ws client of the shop's router, signed in as the token's owner (one socket per client). */
export const liveClient = (shop: TestShop, token: string, options: Omit<ClientOptions, 'url'> = {}): Client =>
  createClient({
    url: shop.url.replace('http', 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    ...options,
  });

/** graphql-ws ends a subscription with GraphQL errors, or with the socket's close event (code and reason). */
export function closeReason(error: unknown): string {
  const close = error as { code?: number; reason?: string; message?: string };
  if (typeof close?.code === 'number') return `socket closed ${close.code} ${close.reason ?? ''}`.trim();
  return close?.message ?? JSON.stringify(error);
}
