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
