import { CONTEXT_NAMES, type ContextName } from '@bookshop/contexts';

/** The URL the router calls for a subgraph: `SUBGRAPH_URL_<NAME>` overrides the supergraph's. */
export function subgraphUrlOverrides(env: NodeJS.ProcessEnv): Partial<Record<ContextName, string>> {
  const overrides: Partial<Record<ContextName, string>> = {};
  for (const name of CONTEXT_NAMES) {
    const url = env[`SUBGRAPH_URL_${name.toUpperCase()}`];
    if (url) overrides[name] = url;
  }
  return overrides;
}
