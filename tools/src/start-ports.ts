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

/**
 * Where each process's /metrics is, in one line: the router's in full, then each subgraph's port
 * (all listen on this machine; the subgraphs on 127.0.0.1 only).
 */
export function metricsLine(ports: Record<ContextName | 'router', number>): string {
  const subgraphs = CONTEXT_NAMES.map((name) => `:${ports[name]} (${name})`).join(', ');
  return `metrics: http://127.0.0.1:${ports.router}/metrics (router), ${subgraphs}`;
}
