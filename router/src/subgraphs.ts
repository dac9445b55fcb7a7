/** The subgraphs behind the router, with the ports they listen on by default (docs/architecture.md, "Conventions"). */
export const SUBGRAPHS = [
  { name: 'book', port: 4001 },
  { name: 'order', port: 4002 },
  { name: 'delivery', port: 4003 },
  { name: 'review', port: 4004 },
  { name: 'mypage', port: 4005 },
] as const;

export type SubgraphName = (typeof SUBGRAPHS)[number]['name'];

export const defaultSubgraphUrl = (port: number) => `http://127.0.0.1:${port}/graphql`;

/** The URL the router calls for a subgraph: `SUBGRAPH_URL_<NAME>` overrides the supergraph's. */
export function subgraphUrlOverrides(env: NodeJS.ProcessEnv): Partial<Record<SubgraphName, string>> {
  const overrides: Partial<Record<SubgraphName, string>> = {};
  for (const { name } of SUBGRAPHS) {
    const url = env[`SUBGRAPH_URL_${name.toUpperCase()}`];
    if (url) overrides[name] = url;
  }
  return overrides;
}
