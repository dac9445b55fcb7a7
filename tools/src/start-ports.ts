import { SERVICE_NAMES, type ServiceName } from './launch-shop.js';

/**
 * The ports `pnpm start` uses around ROUTER_PORT: the subgraphs on the next five, an embedded
 * PostgreSQL on +10 and a local nats-server on +22 (when those are not given).
 */
export function startPorts(routerPort: number): { shop: Record<ServiceName | 'router', number>; postgres: number; nats: number } {
  const shop = { router: routerPort } as Record<ServiceName | 'router', number>;
  SERVICE_NAMES.forEach((name, index) => (shop[name] = routerPort + 1 + index));
  return { shop, postgres: routerPort + 10, nats: routerPort + 22 };
}
