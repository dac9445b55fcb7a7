import { readServiceEnv, type ServiceConfig } from '@bookshop/runtime';
import { z } from 'zod';
import { subgraphUrlOverrides, type SubgraphName } from './subgraphs.js';

export interface RouterConfig extends ServiceConfig {
  subgraphUrls: Partial<Record<SubgraphName, string>>;
  /** Apollo Sandbox on the landing page: development only. */
  sandbox: boolean;
}

export function routerConfig(env: NodeJS.ProcessEnv = process.env): RouterConfig {
  const { env: own, ...shared } = readServiceEnv(
    4000,
    { ROUTER_PORT: z.coerce.number().int().min(0).max(65535).optional() },
    env,
  );
  return {
    ...shared,
    port: own.ROUTER_PORT ?? shared.port,
    subgraphUrls: subgraphUrlOverrides(env),
    sandbox: !shared.production,
  };
}
