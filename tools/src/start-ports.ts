import { CONTEXTS, CONTEXT_NAMES, ROUTER_PORT, type ContextName } from '@bookshop/contexts';

/**
 * The ports `pnpm start` uses around ROUTER_PORT: the subgraphs where the contexts' own ports sit
 * beside the router's (4001-4005 around 4000), an embedded PostgreSQL on +10 and a local
 * nats-server on +22 (when those are not given).
 */
export function startPorts(routerPort: number): { shop: Record<ContextName | 'router', number>; postgres: number; nats: number } {
  const shop = { router: routerPort } as Record<ContextName | 'router', number>;
  for (const name of CONTEXT_NAMES) shop[name] = routerPort + CONTEXTS[name].port - ROUTER_PORT;
  return { shop, postgres: routerPort + 10, nats: routerPort + 22 };
}
